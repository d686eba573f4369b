internal import ShardKitSupport
import Examples
import Formats
import Foundation
import Imaging
import RecordIO
public import Shards

/// `shardkit convert`: reads a raw dataset as its authors ship it and writes TFRecord shards of
/// `tf.train.Example`s, one split after another, with `manifest.json` and the TensorFlow Datasets
/// files (`dataset_info.json`, `features.json`, label names) beside them.
///
/// Reading is sequential; the per-record work runs on `options.jobs` threads and the output is
/// byte-identical for any number of jobs (`OrderedEncoder`). Nothing appears in the output
/// directory until every split is complete (`DatasetWriter`).
public enum DatasetConverter {
    /// Converts `options.input` in `format`; returns what was written. Errors are
    /// `DatasetError`s: `.noInput` (missing input), `.badInput` (malformed input, naming file,
    /// record and byte offset), `.output`, `.usage`.
    public static func convert(_ format: DatasetFormat, options: ConvertOptions) throws(DatasetError) -> ConvertSummary
    {
        let start = Date()
        try check(options)
        let encoding = options.imageEncoding ?? format.defaultImageEncoding
        let plan: ConversionPlan
        switch format {
        case .mnist: plan = try MNISTConversion.plan(options, encoding: encoding)
        case .cifar10: plan = try CIFARConversion.plan(options, variant: .cifar10, encoding: encoding)
        case .cifar100: plan = try CIFARConversion.plan(options, variant: .cifar100, encoding: encoding)
        case .svhn: plan = try SVHNConversion.plan(options, encoding: encoding)
        case .hwdb: plan = try HWDBConversion.plan(options, encoding: encoding)
        }
        let name = options.name ?? format.rawValue
        let writer = try DatasetWriter(
            output: options.output, name: name, sharding: options.sharding, compression: options.compression,
            durable: options.durable)
        do throws(DatasetError) {
            var schema = SchemaAccumulator()
            let engine = OrderedEncoder(
                jobs: options.jobs,
                encoder: RecordEncoder(encoding: encoding, augment: options.augment, seed: options.seed))
            let copies = options.copies
            for pass in plan.passes {
                let needCounts: Bool
                if case .shards = options.sharding { needCounts = true } else { needCounts = pass.countIsCheap }
                let counts = needCounts ? try pass.counts().map { $0 * copies } : nil
                for (i, split) in pass.splits.enumerated() {
                    try writer.open(split: split, count: counts.map { $0[i] })
                }
                let total = counts?.reduce(0, +) ?? (options.quiet ? nil : pass.estimatedTotal().map { $0 * copies })
                let progress = ProgressReporter(
                    label: "convert \(format.rawValue)/\(pass.label)", total: total, quiet: options.quiet,
                    lineInterval: lineInterval(total: total))
                let pull = withCopies(try pass.open(), copies)
                try engine.run(
                    next: pull,
                    write: { (split, bytes) throws(DatasetError) in
                        try writer.write(split: pass.splits[split], bytes)
                    },
                    schema: &schema, progress: { progress.advance(by: $0) })
                progress.finish()
                for split in pass.splits { try writer.finish(split: split) }
            }
            var metadata = plan.metadata
            metadata["format"] = format.rawValue
            metadata["converter"] = "shardkit convert"
            metadata["seed"] = String(options.seed)
            if let augment = options.augment {
                metadata["augment"] = augment.description
                metadata["copies"] = String(copies)
            }
            for (reason, count) in plan.skips.counts { metadata["skipped: \(reason)"] = String(count) }
            try writer.commit(
                DatasetDescription(
                    name: name, description: plan.description, features: plan.features,
                    supervisedKeys: plan.supervisedKeys, files: plan.files, metadata: metadata),
                schema: schema)
        } catch {
            writer.abort()
            throw error
        }
        return ConvertSummary(
            format: format, output: options.output,
            splits: writer.splits.map {
                ConvertSummary.Split(
                    name: $0.name, records: $0.manifest.records, shards: $0.manifest.shards.count,
                    bytes: $0.manifest.bytes)
            },
            skipped: plan.skips.counts, seconds: Date().timeIntervalSince(start))
    }

    /// Records between plain progress lines (not a terminal): about ten lines per pass, at
    /// least 1,000 and at most 100,000 records apart.
    static func lineInterval(total: Int?) -> Int {
        guard let total else { return 10_000 }
        return min(100_000, max(1_000, (total / 10 + 999) / 1_000 * 1_000))
    }

    private static func check(_ options: ConvertOptions) throws(DatasetError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.input.path, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw DatasetError(.noInput, path: options.input.path, "no such directory")
        }
        guard options.jobs >= 1 else { throw DatasetError(.usage, "jobs must be at least 1") }
        guard options.validationFraction >= 0, options.validationFraction < 1 else {
            throw DatasetError(.usage, "validation fraction must be in [0, 1)")
        }
        guard options.size >= 1 else { throw DatasetError(.usage, "size must be at least 1") }
        guard options.copies >= 1 else { throw DatasetError(.usage, "copies must be at least 1") }
        guard options.copies == 1 || options.augment != nil else {
            throw DatasetError(.usage, "more than one copy needs an augmentation")
        }
        switch options.sharding {
        case .shards(let n) where n < 1: throw DatasetError(.usage, "shard count must be at least 1")
        case .shardBytes(let b) where b < 1: throw DatasetError(.usage, "shard size must be positive")
        default: break
        }
    }
}

/// A pull that hands out each record of `pull` `copies` times in a row, numbered 0…copies-1.
private func withCopies(_ pull: @escaping RecordPull, _ copies: Int) -> RecordPull {
    guard copies > 1 else { return pull }
    var current: PendingRecord?
    var next = copies
    return { () throws(DatasetError) -> PendingRecord? in
        if next == copies {
            guard let record = try pull() else { return nil }
            current = record
            next = 0
        }
        var record = current!
        record.copy = next
        next += 1
        return record
    }
}
