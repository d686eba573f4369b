import Foundation
import Dispatch
import Examples
import Formats
import Imaging
import RecordIO
import Synchronization
import Synth

/// Writes a synthesized digit-string dataset: a train split drawn only from the digit set's
/// train file, a test split drawn only from its test file, each as `shards` TFRecord shards,
/// then `manifest.json` (last). See formats/digit-strings.md.
///
/// Records are made by `jobs` threads, each taking every `jobs`-th record of a batch, while one
/// more thread writes the previous batch in order: the bytes do not depend on `jobs`.
public enum SynthWriter {
    /// Records per thread per batch.
    static let batchPerJob = 256

    /// Writes the dataset `request` describes; returns a one-line summary.
    public static func write(_ request: SynthRequest) throws(PipelineError) -> String {
        let started = ProgressReporter(label: "", total: nil, quiet: true)
        let trainSource = try DigitSource.mnist(directory: request.digits, split: .train)
        let testSource = request.testCount > 0 ? try DigitSource.mnist(directory: request.digits, split: .test) : nil
        let train = try maker(request, source: trainSource, split: "train")
        let test = try testSource.map { source throws(PipelineError) in try maker(request, source: source, split: "test") }

        if let preview = request.preview {
            try writePreview(train, count: min(request.previewCount, request.trainCount * request.copies), to: preview)
        }
        try createDirectory(request.output)
        var splits: [String: SplitManifest] = [:]
        var schema = SchemaAccumulator()
        var shape = train.synthesizer.imageShape
        var written: [String] = []
        for (maker, count) in [(train, request.trainCount), (test, request.testCount)] {
            guard let maker, count > 0 else { continue }
            let records = count * request.copies
            let first = maker.sample(0, augmenter: maker.makeAugmenter()).image
            shape = (first.height, first.width, first.channels)
            schema.observe(
                try SynthRecordMaker.example(
                    image: first, string: maker.synthesizer.synthesize(split: maker.split, index: 0),
                    encoding: request.imageEncoding))
            let split = try writeSplit(maker, records: records, request: request)
            splits[maker.split] = split
            written.append("\(records) \(maker.split)")
        }
        let configuration = train.synthesizer.configuration
        var metadata = [
            "generator": "shardkit synth",
            "layout": configuration.layout.rawValue,
            "seed": String(configuration.seed),
            "max_length": String(configuration.maxLength),
            "lengths": train.synthesizer.lengths.description,
            "image_shape": "\(shape.height)x\(shape.width)x\(shape.channels)",
            "image_encoding": request.imageEncoding.rawValue,
            "copies": String(request.copies),
            "augment": request.augment?.description ?? "none",
            "digits": request.digits.path,
            "train_digits": String(trainSource.count),
        ]
        if configuration.layout == .free { metadata["size"] = "\(configuration.height)x\(configuration.width)" }
        if let testSource { metadata["test_digits"] = String(testSource.count) }
        let manifest = Manifest(
            name: request.name, version: "1.0.0", splits: splits, features: schema.entries.map(FeatureSchema.init),
            metadata: metadata)
        do { try manifest.write(to: request.output.path) } catch { throw PipelineError(error) }
        let seconds = started.elapsed
        let total = splits.values.reduce(0) { $0 + $1.records }
        let bytes = splits.values.reduce(Int64(0)) { $0 + $1.bytes }
        let rate = seconds > 0 ? Double(total) / seconds : 0
        return "wrote \(written.joined(separator: " + ")) records (\(bytes) bytes, \(request.shards) shards per split) "
            + "to \(request.output.path) in \(String(format: "%.2f", seconds))s (\(Int(rate)) records/s)"
    }

    static func maker(_ request: SynthRequest, source: DigitSource, split: String) throws(PipelineError)
        -> SynthRecordMaker
    {
        let synthesizer: DigitStringSynthesizer
        do { synthesizer = try DigitStringSynthesizer(source: source, configuration: request.configuration) } catch {
            throw PipelineError(.usage, error.message)
        }
        return SynthRecordMaker(
            synthesizer: synthesizer, split: split, augment: request.augment, copies: max(1, request.copies),
            encoding: request.imageEncoding)
    }

    static func writePreview(_ maker: SynthRecordMaker, count: Int, to url: URL) throws(PipelineError) {
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

    /// Writes `records` records of one split; returns its manifest entry.
    static func writeSplit(_ maker: SynthRecordMaker, records: Int, request: SynthRequest) throws(PipelineError)
        -> SplitManifest
    {
        let jobs = max(1, request.jobs)
        let progress = ProgressReporter(
            label: "synth \(request.name)/\(maker.split)", total: records, quiet: request.quiet)
        let writer: ShardedWriter
        do {
            writer = try ShardedWriter(
                directory: request.output.path, name: request.name, split: maker.split,
                sharding: .shardCount(request.shards, totalRecords: records))
        } catch { throw PipelineError(error) }
        let batch = batchPerJob * jobs
        let state = BatchState(writer: writer, augmenters: (0..<jobs).map { _ in maker.makeAugmenter() }, batch: batch)
        var previousCount = 0
        var start = 0
        let failure = Mutex<PipelineError?>(nil)
        while start < records || previousCount > 0 {
            let count = min(batch, records - start)
            let base = start
            let toWrite = previousCount
            DispatchQueue.concurrentPerform(iterations: jobs + 1) { worker in
                if worker == jobs {
                    do throws(RecordIOError) {
                        for i in 0..<toWrite { try state.writer.write(state.previous[i]) }
                    } catch {
                        failure.withLock { $0 = $0 ?? PipelineError(error) }
                    }
                    return
                }
                let augmenter = state.augmenters[worker]
                var i = worker
                while i < count {
                    do throws(PipelineError) {
                        state.current[i] = try maker.payload(base + i, augmenter: augmenter)
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                        return
                    }
                    i += jobs
                }
            }
            if let error = failure.withLock({ $0 }) {
                writer.abort()
                throw error
            }
            progress.advance(by: toWrite)
            state.swapBuffers()
            previousCount = count
            start += count
        }
        progress.finish()
        do { return SplitManifest(shards: try writer.finish()) } catch { throw PipelineError(error) }
    }
}

/// The buffers of the ordered batch scheme. Unchecked `Sendable` because the threads of one
/// `concurrentPerform` touch disjoint parts: worker `w` writes slots `w, w + jobs, …` of
/// `current` and uses only `augmenters[w]`; the writer thread alone reads `previous` and uses
/// `writer`. Buffers are swapped between batches, when no worker runs.
private final class BatchState: @unchecked Sendable {
    let writer: ShardedWriter
    let augmenters: [Augmenter?]
    private(set) var current: UnsafeMutableBufferPointer<[UInt8]>
    private(set) var previous: UnsafeMutableBufferPointer<[UInt8]>

    init(writer: ShardedWriter, augmenters: [Augmenter?], batch: Int) {
        self.writer = writer
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
