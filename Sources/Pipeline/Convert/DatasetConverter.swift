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
        try check(options, format: format)
        let encoding = options.imageEncoding ?? format.defaultImageEncoding
        let plan = try format.recipe.plan(options, format: format, encoding: encoding)
        let name = options.name ?? format.rawValue
        // With a shard count, every shard's records are known before reading: shards can be
        // split among workers, and a resumed run can skip the shards it already has.
        var shardsPerSplit: Int?
        if case .shards(let n) = options.sharding { shardsPerSplit = n }
        if shardsPerSplit == nil && (options.worker != nil || options.resume) {
            throw DatasetError(
                .usage,
                "\(options.worker != nil ? "--worker" : "--resume") needs --shards N: shard boundaries must be known before reading")
        }
        let role: DatasetWriter.Role = options.worker.map { .worker($0) } ?? .whole(resume: options.resume)
        let writer = try DatasetWriter(
            output: options.output, name: name, sharding: options.sharding, compression: options.compression,
            durable: options.durable, role: role, fingerprint: fingerprint(format, options, name: name, encoding: encoding),
            overwrite: options.overwrite)
        var note: String?
        do throws(DatasetError) {
            // Records per source record, per split: `copies` for the augmented splits, else 1.
            func copies(_ split: String) -> Int {
                options.augment != nil && options.augmentSplits.contains(split) ? options.copies : 1
            }
            try checkAugmentation(options, plan: plan)
            // The images as stored: an augmentation that crops or resizes changes their shape.
            let spec = try plan.spec.augmented(
                by: options.augment, splits: options.augmentSplits, of: plan.passes.flatMap(\.splits))
            // Exact counts are needed up front for a shard count (and cheap ones for progress).
            // A pass that is not counted first (SVHN's train+validation: counting means walking
            // digitStruct.mat) streams into its splits, and a split left empty is dropped or
            // refused after the pass, as it would have been before.
            var passCounts: [[Int]?] = []
            var dropped: Set<String> = []
            for pass in plan.passes {
                let needCounts = shardsPerSplit != nil || pass.countIsCheap
                let counts = needCounts ? try zip(pass.counts(), pass.splits).map { count, split in count * copies(split) } : nil
                passCounts.append(counts)
                for (split, count) in zip(pass.splits, counts ?? []) where count == 0 {
                    try dropEmpty(split, of: pass, counts: counts!, options: options)
                    dropped.insert(split)
                }
            }
            // Shards numbered dataset-wide, split after split; this process writes `assigned`.
            let totalShards = (shardsPerSplit ?? 0) * plan.passes.reduce(0) { $0 + $1.splits.filter { !dropped.contains($0) }.count }
            let assigned = options.worker?.shards(of: totalShards) ?? 0..<totalShards
            if let worker = options.worker {
                note =
                    assigned.isEmpty
                    ? "worker \(worker) (from \(worker.source)): nothing to do, \(totalShards) shards for \(worker.count) workers"
                    : "worker \(worker) (from \(worker.source)): shards \(assigned.lowerBound)..<\(assigned.upperBound) of \(totalShards)"
                if !options.quiet { FileHandle.standardError.write(Data("shardkit: \(note!)\n".utf8)) }
            }
            var schema = SchemaAccumulator()
            var splitOfGroup: [(base: Int, split: String)] = []
            let encoder = RecordEncoder(encoding: encoding, augment: options.augment, seed: options.seed)
            let engine = OrderedEncoder<PendingRecord>(
                jobs: options.jobs,
                makeEncoder: {
                    let augmenter = encoder.makeAugmenter()
                    return { (record, buffer, schema) throws(DatasetError) in
                        try encoder.encode(record, augmenter: augmenter, into: &buffer, schema: &schema)
                    }
                },
                describe: { ($0.split, $0.group) })
            for (p, pass) in plan.passes.enumerated() {
                let counts = passCounts[p]
                // Per split: the shards to write here, and the dataset-wide number of its shard 0.
                var selection: [Set<Int>]? = nil
                var bases: [Int] = []
                for (i, split) in pass.splits.enumerated() {
                    if dropped.contains(split) {
                        // No record is routed to it (its count is 0): never opened, never written.
                        selection = shardsPerSplit == nil ? nil : (selection ?? []) + [[]]
                        bases.append(0)
                        continue
                    }
                    if let n = shardsPerSplit {
                        let base = splitOfGroup.count * n
                        splitOfGroup.append((base, split))
                        bases.append(base)
                        // Only this process's own shards count: another worker's are not ours to keep.
                        let kept = writer.completedShards(split: split, count: n).filter { assigned.contains(base + $0) }
                        let mine = (0..<n).filter { assigned.contains(base + $0) && !kept.contains($0) }
                        selection = (selection ?? []) + [Set(mine)]
                        if !kept.isEmpty && !options.quiet {
                            FileHandle.standardError.write(
                                Data("shardkit: \(split): \(kept.count) of this run's shards already written; keeping them\n".utf8))
                        }
                        try writer.open(split: split, count: counts.map { $0[i] }, only: mine)
                    } else {
                        try writer.open(split: split, count: counts.map { $0[i] })
                    }
                }
                // A pass none of whose shards is written here is not read at all.
                if let selection, selection.allSatisfy(\.isEmpty) {
                    for split in pass.splits { try writer.finish(split: split) }
                    continue
                }
                let augmented = pass.splits.map { options.augment != nil && options.augmentSplits.contains($0) }
                let passCopies = pass.splits.map(copies)
                var total = counts?.reduce(0, +) ?? (options.quiet ? nil : pass.estimatedTotal().map { $0 * (passCopies.max() ?? 1) })
                let pull: RecordPull
                if let selection, let counts, let n = shardsPerSplit {
                    total = selection.enumerated().reduce(0) { sum, split in
                        sum + split.element.reduce(0) { $0 + shardRecords($1, n: n, total: counts[split.offset]) }
                    }
                    // A one-split pass starts at the first record of its first selected shard: the
                    // readers skip what comes before (a seek in plain files).
                    let first =
                        pass.canSkip && pass.splits.count == 1
                        ? selection[0].min().map { shardStart($0, n: n, total: counts[0]) / passCopies[0] } ?? 0 : 0
                    pull = selecting(
                        withCopies(try pass.open(first), passCopies, augmented: augmented), shards: selection, bases: bases,
                        n: n, totals: counts, startingAt: first * passCopies[0])
                } else {
                    pull = withCopies(try pass.open(0), passCopies, augmented: augmented)
                }
                let progress = ProgressReporter(
                    label: "convert \(format.rawValue)/\(pass.label)", total: total, quiet: options.quiet,
                    lineInterval: lineInterval(total: total))
                var written = Array(repeating: 0, count: pass.splits.count)
                try engine.run(
                    next: pull,
                    write: { (split, bytes) throws(DatasetError) in
                        try writer.write(split: pass.splits[split], bytes)
                        written[split] += 1
                    },
                    observe: { group, observed in
                        guard let n = shardsPerSplit else { return schema.merge(observed) }
                        let owner = splitOfGroup[group / n]
                        writer.observe(observed, split: owner.split, shard: group - owner.base)
                    },
                    progress: { progress.advance(by: $0) })
                progress.finish()
                // Counted only now (a target shard size): an empty split is dropped or refused as
                // above, before it is finished (which would write it one empty shard).
                if counts == nil {
                    for (split, count) in zip(pass.splits, written) where count == 0 {
                        try dropEmpty(split, of: pass, counts: written, options: options)
                        writer.discard(split: split)
                    }
                }
                for split in pass.splits { try writer.finish(split: split) }
            }
            var metadata = plan.metadata
            for (key, value) in try plan.finishInputs() { metadata[key] = value }
            metadata["format"] = format.rawValue
            metadata["converter"] = "shardkit convert"
            metadata["seed"] = String(options.seed)
            if let augment = options.augment {
                metadata["augment"] = augment.description
                metadata["copies"] = String(options.copies)
                metadata["augment_splits"] = options.augmentSplits.sorted().joined(separator: ",")
            }
            for (reason, count) in plan.skipped { metadata["skipped: \(reason)"] = String(count) }
            let description = DatasetDescription(
                name: name, description: plan.description, spec: spec, files: plan.files, metadata: metadata)
            if options.worker != nil {
                try writer.finishWorker(description)
            } else {
                try writer.commit(description, schema: shardsPerSplit == nil ? schema : nil)
            }
        } catch {
            writer.abort()
            throw error
        }
        return ConvertSummary(
            format: format, output: options.output,
            splits: writer.splits.filter { options.worker == nil || !$0.manifest.shards.isEmpty }.map {
                ConvertSummary.Split(
                    name: $0.name, records: $0.manifest.records, shards: $0.manifest.shards.count,
                    bytes: $0.manifest.bytes)
            },
            skipped: plan.skipped, seconds: Date().timeIntervalSince(start), worker: note)
    }

    /// The records of shard `k` when `total` go to `n` shards.
    private static func shardRecords(_ k: Int, n: Int, total: Int) -> Int {
        shardStart(k + 1, n: n, total: total) - shardStart(k, n: n, total: total)
    }

    /// What the shards depend on, as readable pairs: the options that change records, and the
    /// input files (names, sizes and modification times, summed up in one digest). A resumed run
    /// or another worker with a different fingerprint is refused, with the differing pairs.
    static func fingerprint(_ format: DatasetFormat, _ options: ConvertOptions, name: String, encoding: ImageEncoding)
        -> [String: String]
    {
        var pairs: [String: String] = [
            "format": format.rawValue, "name": name, "image encoding": encoding.rawValue,
            "compression": options.compression.rawValue, "seed": String(options.seed),
            "copies": String(options.copies), "augment": options.augment?.description ?? "none",
            "augment splits": options.augmentSplits.sorted().joined(separator: ","),
        ]
        switch options.sharding {
        case .shards(let n): pairs["shards"] = String(n)
        case .shardBytes(let b): pairs["shard size"] = String(b)
        }
        // The format's own options (SVHN's fraction, HWDB's size and dictionary, folder's settings).
        pairs.merge(format.recipe.fingerprint(options, format: format)) { _, own in own }
        pairs["input"] = inputFingerprint(options.input)
        return pairs
    }

    /// An empty `split` of `pass`: allowed (and noted, unless quiet) when the pass divides its
    /// records by the default `--validation-fraction`, which the user did not choose; else the
    /// `emptySplit` error.
    private static func dropEmpty(_ split: String, of pass: ConversionPass, counts: [Int], options: ConvertOptions)
        throws(DatasetError)
    {
        guard pass.splits.count > 1, !options.validationFractionChosen else {
            throw emptySplit(split, of: pass, counts: counts, options: options)
        }
        if !options.quiet {
            FileHandle.standardError.write(
                Data("shardkit: no \(split) split: the default --validation-fraction \(options.validationFraction) gives it none of \(counts.reduce(0, +)) records; choose a fraction to make one\n".utf8))
        }
    }

    /// No split is ever written empty (TFDS refuses to read one): the error says how many records
    /// each of the pass's splits got, and, for a split made by `--validation-fraction`, that the
    /// fraction is too small for the data (a usage error) rather than the input being wrong.
    private static func emptySplit(_ split: String, of pass: ConversionPass, counts: [Int], options: ConvertOptions)
        -> DatasetError
    {
        let tally = zip(pass.splits, counts).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        if pass.splits.count > 1 {
            return DatasetError(
                .usage,
                "--validation-fraction \(options.validationFraction) leaves split \(split) empty (\(tally) records); "
                    + "use a larger fraction, or 0 for no validation split")
        }
        return DatasetError(.badInput, "split \(split) has no records; its input holds none")
    }

    /// A spec that cannot apply to a split's images is a usage error naming the split and the
    /// size, before anything is read (images of one declared shape; a folder of mixed sizes is
    /// checked record by record as it is encoded).
    private static func checkAugmentation(_ options: ConvertOptions, plan: ConversionPlan) throws(DatasetError) {
        guard let augment = options.augment,
            let image = plan.spec.image, let height = image.height, let width = image.width
        else { return }
        let splits = plan.passes.flatMap(\.splits).filter(options.augmentSplits.contains)
        guard let split = splits.first else { return }
        try augment.check(split: split, height: height, width: width)
    }

    /// Records between plain progress lines (not a terminal): about ten lines per pass, at
    /// least 1,000 and at most 100,000 records apart.
    static func lineInterval(total: Int?) -> Int {
        guard let total else { return 10_000 }
        return min(100_000, max(1_000, (total / 10 + 999) / 1_000 * 1_000))
    }

    private static func check(_ options: ConvertOptions, format: DatasetFormat) throws(DatasetError) {
        // A folder, or a file (an archive as shipped, one .mat file): the format's plan says
        // whether it can read it, and lists what it looked for when not.
        guard FileManager.default.fileExists(atPath: options.input.path) else {
            throw DatasetError(.noInput, path: options.input.path, "no such file or directory")
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
        if let problem = options.sharding.problem { throw DatasetError(.usage, problem) }
    }
}

/// A pull that hands out each record of `pull` `copies[split]` times in a row, numbered
/// 0…copies-1, marking the records of augmented splits.
private func withCopies(_ pull: @escaping RecordPull, _ copies: [Int], augmented: [Bool]) -> RecordPull {
    var current: PendingRecord?
    var next = 0
    var count = 0
    return { () throws(DatasetError) -> PendingRecord? in
        if next == count {
            guard var record = try pull() else { return nil }
            record.augmented = augmented[record.split]
            current = record
            count = copies[record.split]
            next = 0
        }
        var record = current!
        record.copy = next
        next += 1
        return record
    }
}

/// The first record of shard `k` when `total` records go to `n` shards (`ShardedWriter`'s rule).
func shardStart(_ k: Int, n: Int, total: Int) -> Int {
    ShardedWriter.boundary(k, n: n, total: total)
}

/// A pull that hands on only the records of the selected shards, numbering each with its
/// dataset-wide shard (`PendingRecord.group`), and ends once every split is past its last
/// selected shard. Records of the other shards are dropped before any encoding: reading them
/// costs the read, not the per-record work. `startingAt` is the split record the pull's first
/// record has (one-split passes that skipped ahead).
private func selecting(
    _ pull: @escaping RecordPull, shards: [Set<Int>], bases: [Int], n: Int, totals: [Int], startingAt: Int
) -> RecordPull {
    var positions = Array(repeating: 0, count: shards.count)
    positions[0] = startingAt
    let ends = shards.enumerated().map { split, selected in selected.max().map { shardStart($0 + 1, n: n, total: totals[split]) } ?? 0 }
    // A run that needs the last records reads on to the end, so the readers still check how the
    // input ends (trailing bytes, a cut gzip stream).
    let readsToEnd = ends == totals
    return { () throws(DatasetError) -> PendingRecord? in
        while readsToEnd || zip(positions, ends).contains(where: { $0 < $1 }), var record = try pull() {
            let split = record.split
            let r = positions[split]
            positions[split] += 1
            // The largest k with k·total/n ≤ r: the shard holding record r.
            let total = Int64(max(1, totals[split]))
            let k = Int((Int64(r + 1) * Int64(n) + total - 1) / total - 1)
            if shards[split].contains(k) {
                record.group = bases[split] + k
                return record
            }
        }
        return nil
    }
}

/// The files below `root` in one line: how many, their total size, and a digest of their sorted
/// relative paths, sizes and modification times. Changing, adding or removing an input file
/// changes it; reading the files' contents is not needed.
func inputFingerprint(_ root: URL) -> String {
    var listing = ""
    var (files, bytes) = (0, Int64(0))
    var path = root.standardizedFileURL.path
    var paths: [String] = []
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        // A single input file (svhn-cropped): list it as its folder's one entry.
        paths = [root.standardizedFileURL.lastPathComponent]
        path = root.standardizedFileURL.deletingLastPathComponent().path
    } else if let walker = FileManager.default.enumerator(atPath: path) {
        while let relative = walker.nextObject() as? String { paths.append(relative) }
    }
    do {
        for relative in paths.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + relative),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let modified = Int64((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            listing += "\(relative)\t\(size)\t\(modified)\n"
            files += 1
            bytes += size
        }
    }
    return "\(files) files, \(bytes) bytes, listing sha256 \(sha256(of: Array(listing.utf8)).prefix(16))"
}
