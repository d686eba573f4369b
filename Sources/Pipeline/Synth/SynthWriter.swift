internal import ShardKitSupport
import Dispatch
import Examples
import Formats
import Foundation
import Imaging
import RecordIO
public import Shards
import Synchronization
import Synth

/// Writes a synthesized digit-string dataset: a train split drawn only from the digit set's
/// train file, a test split drawn only from its test file, each as `shards` TFRecord shards,
/// through `DatasetWriter` (shards staged and moved into place at the end, then
/// `features.json`, `dataset_info.json`, and `manifest.json` last; a failure leaves nothing
/// that looks complete). See formats/digit-strings.md.
///
/// Records are made in batches by `jobs` threads, which take chunks of a batch in turn and put
/// each record in its own slot, while one more thread writes the previous batch in record
/// order: which thread makes a record never changes its bytes, so the output does not depend
/// on `jobs`.
public enum SynthWriter {
    /// Records per thread per batch: small enough that a batch (about 1.6 MB of 64×64 RGB records
    /// at two jobs) is still in cache when the writer copies and hashes it.
    static let batchPerJob = 64
    /// Records a thread takes at a time.
    static let chunk = 16

    /// Writes the dataset `request` describes; returns a one-line summary.
    public static func write(_ request: SynthRequest) throws(DatasetError) -> String {
        let clock = ContinuousClock()
        let started = clock.now
        let trainSource = try DigitSource.mnist(directory: request.digits, split: .train)
        let testSource = request.testCount > 0 ? try DigitSource.mnist(directory: request.digits, split: .test) : nil
        let train = try maker(request, source: trainSource, split: "train")
        let test = try testSource.map { source throws(DatasetError) in
            try maker(request, source: source, split: "test")
        }

        if let preview = request.preview {
            try writePreview(train, count: min(request.previewCount, request.trainCount * request.copies), to: preview)
        }
        let writer = try DatasetWriter(
            output: request.output, name: request.name, sharding: .shards(request.shards), compression: .none)
        var schema = SchemaAccumulator()
        var shape = train.synthesizer.imageShape
        var written: [String] = []
        do throws(DatasetError) {
            for (maker, count) in [(train, request.trainCount), (test, request.testCount)] {
                guard let maker, count > 0 else { continue }
                let records = count * request.copies
                let first = maker.sample(0, augmenter: maker.makeAugmenter()).image
                shape = (first.height, first.width, first.channels)
                schema.observe(
                    try SynthRecordMaker.example(
                        image: first, string: maker.synthesizer.synthesize(split: maker.split, index: 0),
                        encoding: request.imageEncoding))
                try writer.open(split: maker.split, count: records)
                try writeSplit(maker, records: records, into: writer, request: request)
                try writer.finish(split: maker.split)
                written.append("\(records) \(maker.split)")
            }
            let configuration = train.synthesizer.configuration
            var metadata = [
                "generator": "shardkit synth",
                "layout": configuration.layout.rawValue,
                "seed": String(configuration.seed),
                "max_length": String(configuration.maxLength),
                "lengths": train.synthesizer.lengths.description,
                "copies": String(request.copies),
                "augment": request.augment?.description ?? "none",
                "digits": request.digits.path,
                "train_digits": String(trainSource.count),
            ]
            if configuration.layout == .free { metadata["size"] = "\(configuration.height)x\(configuration.width)" }
            if let testSource { metadata["test_digits"] = String(testSource.count) }
            let features: [(String, TFDSFeature)] = [
                ("image", .image(shape: [shape.height, shape.width, shape.channels], encoding: request.imageEncoding)),
                ("length", .int64),
                ("digits", .int64Tensor(shape: [DigitString.labelSlots])),
            ]
            try writer.commit(
                DatasetDescription(
                    name: request.name,
                    description: "Multi-digit strings synthesized by shardkit synth from \(request.digits.path)",
                    features: features, metadata: metadata),
                schema: schema)
        } catch {
            writer.abort()
            throw error
        }
        let splits = writer.splits.map(\.manifest)
        let elapsed = (clock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        let total = splits.reduce(0) { $0 + $1.records }
        let bytes = splits.reduce(Int64(0)) { $0 + $1.bytes }
        let rate = seconds > 0 ? Double(total) / seconds : 0
        return "wrote \(written.joined(separator: " + ")) records (\(HumanReadable.bytes(bytes)), "
            + "\(HumanReadable.count(request.shards, "shard")) per split) "
            + "to \(request.output.path) in \(String(format: "%.2f", seconds))s (\(Int(rate)) records/s)"
    }

    static func maker(_ request: SynthRequest, source: DigitSource, split: String) throws(DatasetError)
        -> SynthRecordMaker
    {
        let synthesizer: DigitStringSynthesizer
        do { synthesizer = try DigitStringSynthesizer(source: source, configuration: request.configuration) } catch {
            throw DatasetError(.usage, error.message)
        }
        return SynthRecordMaker(
            synthesizer: synthesizer, split: split, augment: request.augment, copies: max(1, request.copies),
            encoding: request.imageEncoding)
    }

    static func writePreview(_ maker: SynthRecordMaker, count: Int, to url: URL) throws(DatasetError) {
        let augmenter = maker.makeAugmenter()
        var images: [Image] = []
        var labels: [String] = []
        for record in 0..<max(0, count) {
            let (image, string) = maker.sample(record, augmenter: augmenter)
            images.append(image)
            labels.append(string.text)
        }
        try ContactSheetRenderer.writeSheet(images: images, labels: labels, to: url)
    }

    /// Writes the `records` records of `maker`'s split, in order, into `writer` (whose split is open).
    static func writeSplit(
        _ maker: SynthRecordMaker, records: Int, into writer: DatasetWriter, request: SynthRequest
    ) throws(DatasetError) {
        let jobs = max(1, request.jobs)
        let progress = ProgressReporter(
            label: "synth \(request.name)/\(maker.split)", total: records, quiet: request.quiet)
        let batch = batchPerJob * jobs
        let state = BatchState(
            writer: writer, split: maker.split, augmenters: (0..<jobs).map { _ in maker.makeAugmenter() }, batch: batch)
        var previousCount = 0
        var start = 0
        let failure = Mutex<DatasetError?>(nil)
        while start < records || previousCount > 0 {
            let count = min(batch, records - start)
            let base = start
            let toWrite = previousCount
            let chunk = Self.chunk
            state.cursor.store(0, ordering: .relaxed)
            // Iteration 0 writes the previous batch; iterations 1…jobs make this one, taking
            // chunks of `chunk` records in turn, so a thread that is done writing helps making.
            DispatchQueue.concurrentPerform(iterations: jobs + 1) { iteration in
                if iteration == 0 {
                    for i in 0..<toWrite {
                        let error: DatasetError? = state.previous[i].withUnsafeBytes { bytes in
                            do throws(DatasetError) {
                                try state.writer.write(split: state.split, bytes)
                                return nil
                            } catch { return error }
                        }
                        if let error {
                            failure.withLock { $0 = $0 ?? error }
                            return
                        }
                    }
                    return
                }
                let augmenter = state.augmenters[iteration - 1]
                while true {
                    let first = state.cursor.add(chunk, ordering: .relaxed).oldValue
                    guard first < count else { return }
                    for i in first..<min(first + chunk, count) {
                        do throws(DatasetError) {
                            try maker.serialize(base + i, augmenter: augmenter, into: &state.current[i])
                        } catch {
                            failure.withLock { $0 = $0 ?? error }
                            return
                        }
                    }
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
            progress.advance(by: toWrite)
            state.swapBuffers()
            previousCount = count
            start += count
        }
        progress.finish()
    }
}

/// The buffers of the ordered batch scheme. Unchecked `Sendable` because the threads of one
/// `concurrentPerform` touch disjoint parts: a maker writes only the slots of `current` in the
/// chunks it claimed through `cursor`, and iteration `w` alone uses `augmenters[w - 1]`; the
/// writer iteration alone reads `previous` and uses `writer`. Buffers are swapped between
/// batches, when no thread runs.
private final class BatchState: @unchecked Sendable {
    let writer: DatasetWriter
    let split: String
    let augmenters: [Augmenter?]
    /// The next unclaimed slot of `current`.
    let cursor = Atomic<Int>(0)
    private(set) var current: UnsafeMutableBufferPointer<[UInt8]>
    private(set) var previous: UnsafeMutableBufferPointer<[UInt8]>

    init(writer: DatasetWriter, split: String, augmenters: [Augmenter?], batch: Int) {
        self.writer = writer
        self.split = split
        self.augmenters = augmenters
        current = .allocate(capacity: batch)
        current.initialize(repeating: [])
        previous = .allocate(capacity: batch)
        previous.initialize(repeating: [])
    }

    deinit {
        current.deinitialize()
        current.deallocate()
        previous.deinitialize()
        previous.deallocate()
    }

    func swapBuffers() {
        swap(&current, &previous)
    }
}
