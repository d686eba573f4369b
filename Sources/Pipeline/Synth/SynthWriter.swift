import Examples
import Formats
import Foundation
import Imaging
import RecordIO
internal import ShardKitSupport
public import Shards
import Synth

/// Writes a synthesized digit-string dataset: a train split drawn only from the digit set's
/// train file, a test split drawn only from its test file, each as `shards` TFRecord shards,
/// through `DatasetWriter` (shards staged and moved into place at the end, then
/// `features.json`, `dataset_info.json`, and `manifest.json` last; a failure leaves nothing
/// that looks complete). See formats/digit-strings.md.
///
/// Records go through the spine like convert's: a `CountedSource` of keyed record numbers per
/// split, the `SynthRecipe` step, the one ordered engine (`OrderedEncoder`). Record `i` is a pure
/// function of its key and the seed, so the output does not depend on `jobs`.
public enum SynthWriter {
    /// Writes the dataset `request` describes; returns a one-line summary.
    public static func write(_ request: SynthRequest) throws(DatasetError) -> String {
        let clock = ContinuousClock()
        let started = clock.now
        let trainSource = try DigitSource.mnist(directory: request.digits, split: .train)
        let testSource = request.testCount > 0 ? try DigitSource.mnist(directory: request.digits, split: .test) : nil
        let train = try recipe(request, source: trainSource, split: "train")
        let test = try testSource.map { source throws(DatasetError) in
            try recipe(request, source: source, split: "test")
        }

        if let preview = request.preview {
            try writePreview(train, count: min(request.previewCount, request.trainCount * request.copies), to: preview)
        }
        let writer = try DatasetWriter(
            output: request.output, name: request.name, sharding: .shards(request.shards), compression: .none,
            role: request.worker.map { .worker($0) } ?? .whole(resume: request.resume),
            fingerprint: fingerprint(request), overwrite: request.overwrite)
        var written: [String] = []
        do throws(DatasetError) {
            // Shards numbered dataset-wide, split after split; this process writes `assigned`.
            let splits = [(train, request.trainCount), (test, request.testCount)].compactMap { recipe, count in
                recipe.flatMap { count > 0 ? ($0, count * $0.copies) : nil }
            }
            let n = request.shards
            let assigned = request.worker?.shards(of: splits.count * n) ?? 0..<(splits.count * n)
            if let worker = request.worker, !request.quiet {
                FileHandle.standardError.write(
                    Data(
                        "shardkit: worker \(worker) (from \(worker.source)): shards \(assigned.lowerBound)..<\(assigned.upperBound) of \(splits.count * n)\n"
                            .utf8))
            }
            // The dataset's spec before any string is made: raw images in two shapes (some splits
            // augmented to another size) are refused up front, not after all the work.
            let spec = try train.spec.augmented(
                by: request.augment, splits: request.augmentSplits, of: splits.map(\.0.split))
            for (s, (recipe, records)) in splits.enumerated() {
                let (first, firstString) = recipe.drawn(
                    recipe.source([0..<1]).next()!, augmenter: recipe.makeWorkspace())
                // Every record has the schema of the first: each shard's receipt carries it.
                var schema = SchemaAccumulator()
                schema.observe(
                    try SynthRecipe.example(image: first, string: firstString, encoding: request.imageEncoding))
                let kept = writer.completedShards(split: recipe.split, count: n).filter {
                    assigned.contains(s * n + $0)
                }
                let mine = (0..<n).filter { assigned.contains(s * n + $0) && !kept.contains($0) }
                try writer.open(split: recipe.split, count: records, only: mine)
                let ranges = mine.map {
                    shardStart($0, n: n, total: records)..<shardStart($0 + 1, n: n, total: records)
                }
                for (k, range) in zip(mine, ranges) where !range.isEmpty {
                    writer.observe(schema, split: recipe.split, shard: k)
                }
                try writeSplit(recipe, ranges: ranges, into: writer, request: request)
                try writer.finish(split: recipe.split)
                written.append("\(ranges.reduce(0) { $0 + $1.count }) \(recipe.split)")
            }
            let configuration = train.synthesizer.configuration
            var metadata = [
                "generator": "shardkit synth",
                "layout": configuration.layout.rawValue,
                "seed": String(configuration.seed),
                "max_length": String(configuration.maxLength),
                "lengths": train.synthesizer.lengths.description,
                "copies": String(request.copies),
                "augment_splits": request.augmentSplits.sorted().joined(separator: ","),
                "augment": request.augment?.description ?? "none",
                "digits": request.digits.path,
                "train_digits": String(trainSource.count),
            ]
            if configuration.layout == .free { metadata["size"] = "\(configuration.height)x\(configuration.width)" }
            if let testSource { metadata["test_digits"] = String(testSource.count) }
            let description = DatasetDescription(
                name: request.name,
                description: "Multi-digit strings synthesized by shardkit synth from \(request.digits.path)",
                spec: spec, metadata: metadata)
            if request.worker != nil {
                try writer.finishWorker(description)
            } else {
                try writer.commit(description, schema: nil)
            }
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

    /// The recipe step of `split`, its strings drawn from `source`.
    static func recipe(_ request: SynthRequest, source: DigitSource, split: String) throws(DatasetError)
        -> SynthRecipe
    {
        let synthesizer: DigitStringSynthesizer
        do { synthesizer = try DigitStringSynthesizer(source: source, configuration: request.configuration) } catch {
            throw DatasetError(.usage, error.message)
        }
        // Only the splits in `augmentSplits` are augmented and copied; the others are as drawn.
        let augmented = request.augment != nil && request.augmentSplits.contains(split)
        if augmented, let augment = request.augment {
            try augment.check(split: split, height: synthesizer.imageShape.height, width: synthesizer.imageShape.width)
        }
        return SynthRecipe(
            synthesizer: synthesizer, split: split, augment: augmented ? request.augment : nil,
            copies: augmented ? max(1, request.copies) : 1, encoding: request.imageEncoding)
    }

    /// A contact sheet of the first `count` records of `recipe`'s split, as they are written.
    static func writePreview(_ recipe: SynthRecipe, count: Int, to url: URL) throws(DatasetError) {
        let augmenter = recipe.makeWorkspace()
        var images: [Image] = []
        var labels: [String] = []
        let source = recipe.source([0..<max(0, count)])
        while let record = source.next() {
            let (image, string) = recipe.drawn(record, augmenter: augmenter)
            images.append(image)
            labels.append(string.text)
        }
        try ContactSheetRenderer.writeSheet(images: images, labels: labels, to: url)
    }

    /// What the shards depend on: every option that changes a record, and the digit files.
    static func fingerprint(_ request: SynthRequest) -> [String: String] {
        [
            "name": request.name, "train strings": String(request.trainCount),
            "test strings": String(request.testCount),
            "configuration": String(describing: request.configuration), "shards": String(request.shards),
            "image encoding": request.imageEncoding.rawValue, "augment": request.augment?.description ?? "none",
            "copies": String(request.copies), "digits": inputFingerprint(request.digits),
            "augment splits": request.augmentSplits.sorted().joined(separator: ","),
        ]
    }

    /// Writes the records in `ranges` (ascending) of `recipe`'s split, in order, into `writer`
    /// (whose split is open with just those records' shards): the split's source through its
    /// recipe and the one engine. Record i is a pure function of its key, so the bytes do not
    /// depend on `jobs`.
    static func writeSplit(
        _ recipe: SynthRecipe, ranges: [Range<Int>], into writer: DatasetWriter, request: SynthRequest
    ) throws(DatasetError) {
        let progress = ProgressReporter(
            label: "synth \(request.name)/\(recipe.split)", total: ranges.reduce(0) { $0 + $1.count },
            quiet: request.quiet)
        let source = recipe.source(ranges)
        // Every record has the schema the shards' receipts were given up front: nothing to observe.
        let engine = OrderedEncoder<CountedSample<SynthKey>>(
            jobs: max(1, request.jobs), chunkSize: 64, makeEncoder: recipe.encoder(observingSchema: false),
            describe: { _ in (0, 0) })
        try engine.run(
            next: { source.next() },
            write: { (_, bytes) throws(DatasetError) in try writer.write(split: recipe.split, bytes) },
            observe: { _, _ in }, progress: { progress.advance(by: $0) })
        progress.finish()
    }
}
