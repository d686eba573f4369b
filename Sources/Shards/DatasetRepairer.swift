import Examples
public import Foundation
public import RecordIO
internal import ShardKitSupport

/// `shardkit repair SRC --output DST`: writes a clean copy of a damaged dataset, without the
/// records that fail their checksums, and a report of what was dropped. It never writes into SRC.
///
/// **Reading SRC.** The shards are those of SRC's `manifest.json`, split by split; without a usable
/// manifest, the shard files found in SRC named `{name}-{split}.tfrecord-NNNNN-of-NNNNN` (said in
/// the report's notes). Each shard is read with `RecordSalvager`: a record whose payload checksum
/// fails is dropped; a lost length is resynchronised by scanning for the next record that checks
/// out; the tail of a truncated shard is dropped; a damaged compressed stream is dropped from the
/// damage on. With a manifest, a shard that ends early on a record boundary or is missing counts
/// as damage too: the manifest gives the number of records each shard should hold.
///
/// **Writing DST.** Through `DatasetWriter` (staging, lock, an interrupt removes what was
/// written), with SRC's dataset name, split names, compression and shard count. The surviving
/// records keep their order but are renumbered, and spread by `ShardedWriter`'s count rule over
/// the surviving count (shard k of N holds records ⌊k·total/N⌋ ..< ⌊(k+1)·total/N⌋), so a dropped
/// record moves the boundaries after it by one. A clean SRC whose shards follow that rule (written
/// with `--shards N`, or one shard per split) gives shard files byte-identical to SRC's; one cut by
/// size keeps every record but not its boundaries, and the report's notes say so. `DatasetWriter`
/// takes one shard count for all splits: when SRC's splits differ, each gets the largest (noted).
/// DST gets fresh index files, SRC's side files as they are (`features.json`, label files,
/// `characters.json`, …), `dataset_info.json` with the new shard lengths, `repair-report.json`,
/// and a manifest whose metadata says `repaired_from`.
///
/// Two passes over SRC: the first finds the damage and the surviving count per split (a count
/// rule needs it before the first record is written), the second copies. Memory stays bounded:
/// one record at a time, plus the report.
public enum DatasetRepairer {
    /// What to repair, where to, and how.
    public struct Options: Sendable {
        /// SRC: the damaged dataset, never written to.
        public var source: URL
        /// DST: where the clean copy goes; it must not be SRC or inside it, nor hold a dataset
        /// (unless `overwrite`).
        public var output: URL
        /// Print no progress.
        public var quiet: Bool
        /// Whether shards are fsynced before they are renamed (default true).
        public var durable: Bool
        /// How far `RecordSalvager` scans for the next record after a lost length, and more.
        public var salvage: RecordSalvager.Options
        /// Replace a dataset already in DST (it stays intact until the copy is complete).
        public var overwrite = false

        /// Repair `source` into `output`, quietly and durably unless told otherwise.
        public init(
            source: URL, output: URL, quiet: Bool = true, durable: Bool = true,
            salvage: RecordSalvager.Options = RecordSalvager.Options()
        ) {
            self.source = source
            self.output = output
            self.quiet = quiet
            self.durable = durable
            self.salvage = salvage
        }
    }

    /// The report's file name in DST.
    public static let reportFileName = "repair-report.json"

    /// `repair-report.json`: what was kept and dropped, split by split, and every dropped stretch.
    public struct Report: Codable, Sendable, Equatable {
        /// One stretch of a shard that was dropped: a record, a region without framing, a tail.
        public struct Dropped: Codable, Sendable, Equatable {
            /// The shard's file name in SRC.
            public var file: String
            /// The split the shard belongs to.
            public var split: String
            /// The index of the first record dropped, in the shard (see `RecordSalvager`).
            public var recordIndex: Int
            /// Where the dropped bytes start (decompressed-stream offset for compressed shards).
            public var byteOffset: Int64
            /// How many bytes were dropped, when known.
            public var byteCount: Int64?
            /// Where reading went on; nil when the rest of the shard was dropped.
            public var resumedAt: Int64?
            /// Why it was dropped: the checksum or framing failure, in words.
            public var reason: String

            /// `SRC/file: record N at byte OFFSET: reason`, one line.
            public func line(source: String) -> String {
                DatasetError(
                    .badInput, path: (source as NSString).appendingPathComponent(file), recordIndex: recordIndex,
                    byteOffset: byteOffset, reason
                ).description
            }
        }

        /// One split's totals.
        public struct Split: Codable, Sendable, Equatable {
            /// `train`, `test`, …
            public var name: String
            /// Shard files of the split in SRC.
            public var sourceShards: Int
            /// Shard files of the split in DST.
            public var shards: Int
            /// SRC's record count as its manifest gives it; nil without a manifest.
            public var sourceRecords: Int?
            /// Records copied to DST.
            public var records: Int
            /// Records not copied: SRC's count minus the copied ones when the manifest gives it,
            /// else one per dropped stretch (a stretch without framing may have held more).
            public var dropped: Int
        }

        /// SRC's path.
        public var source: String
        /// DST's path.
        public var output: String
        /// Whether SRC's shards came from its manifest (else from their file names).
        public var sourceManifest: Bool
        /// How DST's shard boundaries were chosen.
        public var sharding: String
        /// Per split, in SRC's order.
        public var splits: [Split]
        /// Records copied to DST, over every split.
        public var recordsKept: Int
        /// Records lost, over every split (see `Split.dropped` for how they are counted).
        public var recordsDropped: Int
        /// Every dropped stretch, in reading order.
        public var dropped: [Dropped]
        /// Anything else worth knowing: no manifest, files not copied, a manifest checksum mismatch.
        public var notes: [String]

        /// True when nothing was dropped.
        public var isClean: Bool { dropped.isEmpty && recordsDropped == 0 }
    }

    /// Repairs `options.source` into `options.output`. Errors: `.usage` when DST is SRC or inside
    /// it, `.noInput` when SRC is missing or holds no shards, `.outputExists` when DST holds a
    /// dataset, `.busy` when another run writes into DST, `.output` when writing fails, `.noInput`
    /// when a shard cannot be opened or read (not damage: an I/O failure).
    public static func repair(_ options: Options) throws(DatasetError) -> Report {
        try checkPlaces(source: options.source, output: options.output)
        let source = try SourceDataset(directory: options.source)
        // DST's writer starts before SRC is read, so a DST that holds a dataset fails at once.
        let sharding = Sharding(source.splits)
        let writer = try DatasetWriter(
            output: options.output, name: source.name, sharding: sharding.policy, compression: source.compression,
            durable: options.durable, overwrite: options.overwrite)
        do throws(DatasetError) {
            let surveys = try survey(source, options)
            var notes = source.notes
            if let changed = sharding.boundaryNote(source.splits, counts: { surveys[$0.file]!.sourceRecords }) {
                notes.append(changed)
            }
            let (splits, schema) = try copy(source, surveys, into: writer, options)
            var report = Report(
                source: options.source.path, output: options.output.path, sourceManifest: source.manifest != nil,
                sharding: sharding.note, splits: splits, recordsKept: splits.reduce(0) { $0 + $1.records },
                recordsDropped: splits.reduce(0) { $0 + $1.dropped },
                dropped: source.splits.flatMap { $0.shards.flatMap { surveys[$0.file]!.dropped } }, notes: notes)
            let files = try outputFiles(source, writer: writer, report: &report)
            try writer.commit(files: files, manifest: source.outputManifest(splits: writer.splits, schema: schema))
            return report
        } catch {
            writer.abort()
            throw error
        }
    }

    // MARK: Places

    /// DST may be neither SRC nor inside it (compared after resolving symbolic links), so that
    /// nothing is ever written into SRC.
    static func checkPlaces(source: URL, output: URL) throws(DatasetError) {
        let (src, dst) = (canonicalPath(source), canonicalPath(output))
        if dst == src {
            throw DatasetError(
                .usage, path: output.path, "the output is the source; repair writes a copy: choose another --output")
        }
        if dst.hasPrefix(src.hasSuffix("/") ? src : src + "/") {
            throw DatasetError(
                .usage, path: output.path, "the output is inside the source \(source.path); repair never writes into it"
            )
        }
    }

    /// `url`'s absolute path with symbolic links resolved in the part that exists.
    static func canonicalPath(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var path = existing.resolvingSymlinksInPath().path
        for component in rest { path = (path as NSString).appendingPathComponent(component) }
        return path
    }

    // MARK: The first pass

    /// What the first pass found in one shard.
    struct ShardSurvey {
        var kept = 0
        /// Records SRC holds in this shard: the manifest's count, else what was read (each
        /// dropped stretch counting as one).
        var sourceRecords = 0
        var lost = 0
        var dropped: [Report.Dropped] = []
    }

    /// The first pass's findings by shard file name.
    typealias Surveys = [String: ShardSurvey]

    /// Reads every shard once: what survives and what is dropped, by shard file.
    private static func survey(_ source: SourceDataset, _ options: Options) throws(DatasetError) -> Surveys {
        let total = source.manifest?.splits.values.reduce(0) { $0 + $1.records }
        let progress = ProgressReporter(
            label: "repair: checking \(source.directory.path)", total: total, quiet: options.quiet)
        var surveys: Surveys = [:]
        for split in source.splits {
            for shard in split.shards {
                var survey = ShardSurvey()
                let path = source.directory.appendingPathComponent(shard.file).path
                if !FileManager.default.fileExists(atPath: path) {
                    survey.dropped.append(
                        Report.Dropped(
                            file: shard.file, split: split.name, recordIndex: 0, byteOffset: 0, byteCount: nil,
                            resumedAt: nil,
                            reason: "the shard is missing"
                                + (shard.expectedRecords.map { " (the manifest lists \($0) records)" } ?? "")))
                } else {
                    try salvage(path, shard, options) { item in
                        switch item {
                        case .record: survey.kept += 1
                        case .damage(let damage):
                            survey.dropped.append(Report.Dropped(damage, file: shard.file, split: split.name))
                        }
                        progress.advance()
                    }
                }
                let read = survey.kept + survey.dropped.count
                if let expected = shard.expectedRecords {
                    survey.sourceRecords = expected
                    survey.lost = max(0, expected - survey.kept)
                    // A shard whose tail was given up is reported already; one that ends cleanly too soon
                    // (cut on a record boundary) shows only against the manifest.
                    let tailDropped = survey.dropped.last.map { $0.resumedAt == nil } ?? false
                    if read < expected, !tailDropped {
                        let size = fileSize(path) ?? 0
                        survey.dropped.append(
                            Report.Dropped(
                                file: shard.file, split: split.name, recordIndex: read, byteOffset: size,
                                byteCount: nil,
                                resumedAt: nil,
                                reason:
                                    "the shard ends early, on a record boundary: the manifest lists \(expected) records "
                                    + "(\(shard.expectedBytes ?? 0) bytes), the file ends after \(read)"))
                    }
                } else {
                    survey.sourceRecords = read
                    survey.lost = survey.dropped.count
                }
                surveys[shard.file] = survey
            }
        }
        progress.finish()
        return surveys
    }

    /// Runs `body` for every record and damage of one shard.
    private static func salvage(
        _ path: String, _ shard: SourceDataset.Shard, _ options: Options,
        _ body: (RecordSalvager.Item) throws(DatasetError) -> Void
    ) throws(DatasetError) {
        do {
            var salvager = try RecordSalvager(path: path, compression: shard.compression, options: options.salvage)
            while let item = try salvager.next() { try body(item) }
        } catch let error as RecordIOError {
            throw DatasetError(.noInput, path: path, "cannot read: \(error.reason)", underlying: error)
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError(.noInput, path: path, "cannot read: \(error)")
        }
    }

    // MARK: The second pass

    /// Copies every surviving record into `writer`, split by split; returns each split's totals
    /// and the schema the records showed (nil when some record is no `tf.train.Example`).
    private static func copy(
        _ source: SourceDataset, _ surveys: Surveys, into writer: DatasetWriter, _ options: Options
    ) throws(DatasetError) -> ([Report.Split], SchemaAccumulator?) {
        var schema: SchemaAccumulator? = SchemaAccumulator()
        var splits: [Report.Split] = []
        for split in source.splits {
            let kept = split.shards.reduce(0) { $0 + surveys[$1.file]!.kept }
            let progress = ProgressReporter(label: "repair: writing \(split.name)", total: kept, quiet: options.quiet)
            try writer.open(split: split.name, count: kept)
            for shard in split.shards {
                let path = source.directory.appendingPathComponent(shard.file).path
                guard FileManager.default.fileExists(atPath: path) else { continue }
                var copied = 0
                try salvage(path, shard, options) { item throws(DatasetError) in
                    guard case .record(let payload, _) = item else { return }
                    copied += 1
                    guard copied <= surveys[shard.file]!.kept else { return }
                    try writer.write(split: split.name, payload)
                    if schema != nil {
                        if let example = try? Example(serializedBytes: payload) {
                            schema!.observe(example)
                        } else {
                            schema = nil
                        }
                    }
                    progress.advance()
                }
                if copied != surveys[shard.file]!.kept {
                    throw DatasetError(
                        .badInput, path: path,
                        "changed while being repaired: \(surveys[shard.file]!.kept) good records at first, \(copied) now"
                    )
                }
            }
            try writer.finish(split: split.name)
            progress.finish()
            let written = writer.splits.last!.manifest
            splits.append(
                Report.Split(
                    name: split.name, sourceShards: split.shards.count, shards: written.shards.count,
                    sourceRecords: source.manifest == nil
                        ? nil : split.shards.reduce(0) { $0 + surveys[$1.file]!.sourceRecords },
                    records: written.records, dropped: split.shards.reduce(0) { $0 + surveys[$1.file]!.lost }))
        }
        return (splits, schema)
    }

    /// SRC's side files, `dataset_info.json` with DST's shard lengths, and the report.
    private static func outputFiles(_ source: SourceDataset, writer: DatasetWriter, report: inout Report)
        throws(DatasetError) -> [(String, [UInt8])]
    {
        var files = source.sideFiles
        if let info = source.datasetInfo {
            if let updated = TFDSMetadata.datasetInfoJSON(updating: info, splits: writer.splits) {
                files.append(("dataset_info.json", updated))
            } else {
                report.notes.append(
                    "dataset_info.json in the source is not valid JSON with a list of splits: not copied")
            }
        }
        do {
            files.append((reportFileName, try canonicalJSON(report, path: reportFileName)))
        } catch {
            throw DatasetError(.output, path: reportFileName, error.reason, underlying: error)
        }
        return files
    }
}

extension DatasetRepairer.Report.Dropped {
    init(_ damage: RecordDamage, file: String, split: String) {
        self.init(
            file: file, split: split, recordIndex: damage.recordIndex, byteOffset: damage.byteOffset,
            byteCount: damage.byteCount, resumedAt: damage.resumedAt, reason: damage.reason)
    }
}

// MARK: DST's shard boundaries

extension DatasetRepairer {
    /// DST's shard count and the count rule: every split gets SRC's shard count, and its surviving
    /// records are spread as `ShardedWriter` spreads a known total (shard k holds records
    /// ⌊k·total/N⌋ ..< ⌊(k+1)·total/N⌋).
    ///
    /// `DatasetWriter` takes one shard count for all splits; when SRC's splits have different
    /// counts, every split gets the largest, and the note says so.
    struct Sharding {
        var policy: ShardingPolicy
        var count: Int
        var note: String

        init(_ splits: [SourceDataset.Split]) {
            let counts = splits.map(\.shards.count)
            count = max(1, counts.max() ?? 1)
            policy = .shards(count)
            note =
                "\(count) shard\(count == 1 ? "" : "s") per split, as in the source; the surviving records are "
                + "renumbered and spread by the count rule (shard k holds records k*total/\(count) ..< (k+1)*total/\(count))"
            if Set(counts).count > 1 {
                note +=
                    "; the source's splits have different shard counts ("
                    + splits.map { "\($0.name) \($0.shards.count)" }.joined(separator: ", ")
                    + "), and one count serves all splits, so each has \(count)"
            }
        }

        /// A note when SRC's shard lengths do not follow the count rule (it was cut by size, or
        /// by another tool): its records are all kept, but its shard boundaries are not.
        /// `counts` gives each SRC shard's record count.
        func boundaryNote(_ splits: [SourceDataset.Split], counts: (SourceDataset.Shard) -> Int) -> String? {
            let differ = splits.filter { split in
                let lengths = split.shards.map(counts)
                let total = lengths.reduce(0, +)
                return lengths.count != count
                    || lengths.enumerated().contains { k, length in
                        length != ShardedWriter.boundary(k + 1, n: count, total: total)
                            - ShardedWriter.boundary(k, n: count, total: total)
                    }
            }
            guard !differ.isEmpty else { return nil }
            return "the source's shards of " + differ.map(\.name).joined(separator: ", ")
                + " do not follow the count rule (cut by size?): the output's shard boundaries differ from the source's"
        }
    }
}

// MARK: What SRC holds

/// A dataset folder to repair: its shards by split, and what else it holds.
struct SourceDataset {
    struct Shard {
        /// The file name in the folder.
        var file: String
        var expectedRecords: Int?
        /// The manifest's size, else the file's.
        var expectedBytes: Int64?
        var compression: Compression?
    }

    struct Split {
        var name: String
        var shards: [Shard]
    }

    let directory: URL
    var name: String
    var compression: Compression
    var splits: [Split] = []
    var manifest: Manifest?
    /// Files copied as they are.
    var sideFiles: [(String, [UInt8])] = []
    var datasetInfo: [UInt8]?
    var notes: [String] = []

    init(directory: URL) throws(DatasetError) {
        self.directory = directory
        let found = try ShardFiles.resolve([directory.path])
        guard isDirectory(directory.path) else {
            throw DatasetError(.usage, path: directory.path, "not a folder: repair takes a dataset folder")
        }
        let names = found.directories.first?.names ?? []
        if found.isEmpty {
            throw DatasetError(
                .noInput, path: directory.path, "nothing to repair: no TFRecord files and no manifest.json")
        }
        name = ""
        compression = .none
        if names.contains(Manifest.fileName) {
            let path = directory.appendingPathComponent(Manifest.fileName).path
            do {
                let manifest = try Manifest.read(from: path)
                if let bytes = FileManager.default.contents(atPath: path),
                    let why = Manifest.checksumMismatch(in: [UInt8](bytes))
                {
                    notes.append("manifest.json: \(why); used as it reads")
                }
                adopt(manifest)
            } catch {
                notes.append("manifest.json is unreadable (\(error.reason)); the shards were found by their file names")
            }
        } else {
            notes.append(
                "no manifest.json in the source: the shards were found by their file names, and records missing "
                    + "from the end of a shard that ends on a record boundary cannot be noticed")
        }
        if manifest == nil { try findShards(names) }
        let listed = Set(splits.flatMap { $0.shards.map(\.file) })
        for name in names where ShardFiles.isRecordFileName(name) && !listed.contains(name) {
            notes.append(
                "\(name): not a shard of the dataset (\(manifest == nil ? "not named like one" : "not listed in manifest.json")); not copied"
            )
        }
        if splits.isEmpty {
            throw DatasetError(
                .noInput, path: directory.path,
                "nothing to repair: no shards named {name}-{split}.tfrecord-NNNNN-of-NNNNN")
        }
        readSideFiles(names)
    }

    private mutating func adopt(_ manifest: Manifest) {
        self.manifest = manifest
        name = manifest.name
        compression = manifest.compression
        splits = Self.splitOrder(Array(manifest.splits.keys), datasetInfo: directory).map { split in
            Split(
                name: split,
                shards: manifest.splits[split]!.shards.map {
                    Shard(
                        file: $0.file, expectedRecords: $0.records, expectedBytes: $0.bytes,
                        compression: manifest.compression)
                })
        }
    }

    /// Shards named `{name}-{split}.tfrecord-NNNNN-of-NNNNN`, without a manifest.
    private mutating func findShards(_ names: [String]) throws(DatasetError) {
        var bySplit: [String: [(index: Int, count: Int, file: String)]] = [:]
        var datasetNames: Set<String> = []
        for file in names where ShardFiles.isRecordFileName(file) {
            guard let parsed = Self.parseShardName(file) else { continue }
            datasetNames.insert(parsed.name)
            bySplit[parsed.split, default: []].append((parsed.index, parsed.count, file))
        }
        guard datasetNames.count <= 1 else {
            throw DatasetError(
                .badInput, path: directory.path,
                "without manifest.json the shards must be of one dataset; found \(datasetNames.sorted().joined(separator: ", "))"
            )
        }
        name = datasetNames.first ?? ""
        var compressions: [Compression] = []
        for split in Self.splitOrder(Array(bySplit.keys), datasetInfo: directory) {
            let files = bySplit[split]!.sorted { $0.index < $1.index }
            let counts = Set(files.map(\.count))
            guard counts.count == 1, let n = counts.first else {
                throw DatasetError(
                    .badInput, path: directory.path,
                    "split \(split): shards named with different counts (\(counts.sorted()))")
            }
            var shards: [Shard] = []
            for k in 0..<n {
                let file = ShardedWriter.shardFileName(name: name, split: split, index: k, count: n)
                let path = directory.appendingPathComponent(file).path
                let detected = try? RecordReader.detectCompression(path: path)
                if let detected { compressions.append(detected) }
                shards.append(
                    Shard(file: file, expectedRecords: nil, expectedBytes: fileSize(path), compression: detected))
            }
            splits.append(Split(name: split, shards: shards))
        }
        compression = compressions.first ?? .none
        if Set(compressions).count > 1 {
            notes.append("the shards use different compressions; the output uses \(compression.rawValue) throughout")
        }
    }

    /// `(name, split, k, n)` of `{name}-{split}.tfrecord-{k:05d}-of-{n:05d}`, as `ShardedWriter` names shards.
    static func parseShardName(_ file: String) -> (name: String, split: String, index: Int, count: Int)? {
        guard let marker = file.range(of: ".tfrecord-", options: .backwards) else { return nil }
        let numbers = file[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers[1] == "of", let k = Int(numbers[0]), let n = Int(numbers[2]), k < n,
            ShardedWriter.shardFileName(name: "x", split: "y", index: k, count: n).hasSuffix(file[marker.lowerBound...])
        else { return nil }
        let stem = file[..<marker.lowerBound]
        guard let dash = stem.lastIndex(of: "-"), dash != stem.startIndex, stem.index(after: dash) != stem.endIndex
        else {
            return nil
        }
        return (String(stem[..<dash]), String(stem[stem.index(after: dash)...]), k, n)
    }

    /// `splits` in `dataset_info.json`'s order when it lists them, the others after it by name.
    private static func splitOrder(_ splits: [String], datasetInfo directory: URL) -> [String] {
        let listed =
            FileManager.default.contents(atPath: directory.appendingPathComponent("dataset_info.json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            .flatMap { $0["splits"] as? [[String: Any]] }?.compactMap { $0["name"] as? String } ?? []
        let present = Set(splits)
        let ordered = listed.filter { present.contains($0) }
        return ordered + splits.filter { !ordered.contains($0) }.sorted()
    }

    /// Every plain file of the folder that is neither a record file, an index file, the manifest,
    /// `dataset_info.json` (rewritten) nor a previous repair's report; hidden files (staging,
    /// locks) and folders are left out.
    private mutating func readSideFiles(_ names: [String]) {
        for name in names where !name.hasPrefix(".") {
            let path = directory.appendingPathComponent(name).path
            if ShardFiles.isRecordFileName(name) || ShardFiles.isIndexFileName(name) || name == Manifest.fileName
                || name == DatasetRepairer.reportFileName
            {
                continue
            }
            if isDirectory(path) {
                // The index folder is written afresh; other folders are not the dataset's.
                if name != ShardIndex.directoryName { notes.append("\(name)/: a folder; not copied") }
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                notes.append("\(name): unreadable; not copied")
                continue
            }
            if name == "dataset_info.json" {
                datasetInfo = [UInt8](data)
            } else {
                sideFiles.append((name, [UInt8](data)))
            }
        }
    }

    /// DST's manifest: SRC's (or a new one) with DST's splits, the schema of the copied records
    /// (SRC's features when some record is no Example), and where it was repaired from.
    func outputManifest(splits: [(name: String, manifest: SplitManifest)], schema: SchemaAccumulator?) -> Manifest {
        var metadata = manifest?.metadata ?? [:]
        metadata["repaired_from"] = directory.path
        var repaired = Manifest(
            name: name, version: manifest?.version ?? DatasetDescription.version, compression: compression,
            splits: Dictionary(uniqueKeysWithValues: splits.map { ($0.name, $0.manifest) }),
            features: schema?.entries ?? manifest?.features ?? [], image: manifest?.image, metadata: metadata)
        for split in repaired.splits.keys { repaired.splits[split]?.image = manifest?.splits[split]?.image }
        return repaired
    }
}

extension TFDSMetadata {
    /// `dataset_info.json` as `existing` has it (everything TFDS or we wrote there is kept), with
    /// each split's `shardLengths` and `numBytes` set from `splits`; nil when `existing` is not a
    /// JSON object with a list of splits. Splits it does not list stay unlisted.
    static func datasetInfoJSON(updating existing: [UInt8], splits: [(name: String, manifest: SplitManifest)])
        -> [UInt8]?
    {
        guard var info = (try? JSONSerialization.jsonObject(with: Data(existing))) as? [String: Any],
            let listed = info["splits"] as? [[String: Any]]
        else { return nil }
        info["splits"] = listed.map { entry -> [String: Any] in
            guard let name = entry["name"] as? String, let split = splits.first(where: { $0.name == name }) else {
                return entry
            }
            var updated = entry
            updated["shardLengths"] = split.manifest.shards.map { String($0.records) }
            updated["numBytes"] = String(split.manifest.bytes)
            return updated
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: info, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }
}
