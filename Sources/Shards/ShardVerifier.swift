internal import ShardKitSupport
import Foundation
import RecordIO

/// Checks every checksum of every record of a set of shards, and each shard listed in a manifest
/// against its recorded count and SHA-256.
public struct ShardVerifier: Sendable {
    /// One thing found wrong.
    public struct Problem: Sendable, CustomStringConvertible {
        /// The file at fault (a shard, an index file or a manifest).
        public var path: String
        /// The record at fault, when the problem is one record.
        public var recordIndex: Int?
        /// That record's offset (decompressed-stream offset in compressed shards).
        public var byteOffset: Int64?
        /// What is wrong, e.g. a checksum mismatch with both values.
        public var message: String

        init(path: String, recordIndex: Int? = nil, byteOffset: Int64? = nil, message: String) {
            self.path = path
            self.recordIndex = recordIndex
            self.byteOffset = byteOffset
            self.message = message
        }

        init(_ error: RecordIOError) {
            self.init(path: error.path, recordIndex: error.recordIndex, byteOffset: error.byteOffset, message: error.reason)
        }

        /// One line, placed as a `DatasetError` is: `path: record N at byte B: message`.
        public var description: String {
            DatasetError(.badInput, path: path, recordIndex: recordIndex, byteOffset: byteOffset, message).description
        }
    }

    /// What verification found.
    public struct Report: Sendable {
        /// Record files read.
        public var files = 0
        /// Records whose checksums held.
        public var records = 0
        /// Damaged records passed over with `skipCorrupt` (each is also a problem).
        public var skipped = 0
        /// Everything found wrong, in the order found.
        public var problems: [Problem] = []

        /// True when nothing is wrong.
        public var isClean: Bool { problems.isEmpty }

        /// One line per problem.
        public func problemLines() -> [String] { problems.map(\.description) }

        /// `verified 4 files, 60000 records: OK` or `... 2 problems`.
        public func summary() -> String {
            var text = "verified \(HumanReadable.count(files, "file")), \(HumanReadable.count(records, "record"))"
            if skipped > 0 { text += ", skipped \(HumanReadable.count(skipped, "corrupt record"))" }
            return text + (isClean ? ": OK" : ": \(HumanReadable.count(problems.count, "problem"))")
        }
    }

    /// Read past records whose payload checksum fails (their length checksum holding), to
    /// report every bad record of a file instead of stopping at the first.
    public var skipCorrupt: Bool
    /// Whether a directory of record files without `manifest.json` is a problem (it is, unless
    /// the caller only wants the records' checksums: `verify --no-manifest`).
    public var requireManifest: Bool

    /// The defaults stop reading a file at its first bad record and require a manifest.
    public init(skipCorrupt: Bool = false, requireManifest: Bool = true) {
        self.skipCorrupt = skipCorrupt
        self.requireManifest = requireManifest
    }

    /// Verifies the record files and manifests of `found`; never throws: everything wrong is a
    /// problem in the report.
    public func verify(_ found: ShardFiles.Found, quiet: Bool = true) -> Report {
        var report = Report()
        var counted: [String: Int] = [:]
        var framing: [String: (locations: [RecordLocation], gzip: Bool)] = [:]
        let progress = ProgressReporter(label: "verify", total: nil, quiet: quiet, lineInterval: 100_000)
        for url in found.records {
            report.files += 1
            let (records, skipped, problems, read) = verifyFile(url, progress: progress)
            // A file that could not be read to its end already has its problem; its count means nothing.
            if let read {
                counted[url.standardizedFileURL.path] = records + skipped
                framing[url.standardizedFileURL.path] = read
            }
            report.records += records
            report.skipped += skipped
            report.problems += problems
        }
        progress.finish()
        for manifestURL in found.manifests {
            report.problems += checkManifest(manifestURL, counted: counted, framing: framing)
        }
        for (directory, names) in found.directories {
            report.problems += checkDirectory(directory, names: names)
        }
        return report
    }

    /// The staging folders (`.shardkit-staging-PID`) in the directories of `found`, as paths: what
    /// a run killed before its commit leaves, or the work of a run still writing. `verify` names
    /// them when they are all a folder holds, so that its "nothing to verify" says why.
    public static func stagingFolders(in found: ShardFiles.Found) -> [String] {
        found.directories.flatMap { directory, names in stagingFolders(of: directory, names: names) }
    }

    /// The staging folders among `names`, the entries of `directory`, as paths.
    private static func stagingFolders(of directory: URL, names: [String]) -> [String] {
        names.filter { $0.hasPrefix(DatasetWriter.stagingPrefix) }.map { directory.appendingPathComponent($0).path }
    }

    /// What a directory holds beside its shards: a manifest, and nothing it does not list.
    private func checkDirectory(_ directory: URL, names: [String]) -> [Problem] {
        var problems: [Problem] = []
        for path in Self.stagingFolders(of: directory, names: names) {
            problems.append(
                Problem(path: path, message: "staging folder left by an interrupted run (not part of the dataset)"))
        }
        let recordFiles = names.filter(ShardFiles.isRecordFileName)
        let indexFolder = directory.appendingPathComponent(ShardIndex.directoryName)
        let indexNames = names.contains(ShardIndex.directoryName)
            ? ((try? FileManager.default.contentsOfDirectory(atPath: indexFolder.path)) ?? []).sorted() : []
        guard names.contains(Manifest.fileName) else {
            if requireManifest && !recordFiles.isEmpty {
                problems.append(
                    Problem(
                        path: directory.path,
                        message: "no \(Manifest.fileName): not a complete dataset (interrupted, or not written by "
                            + "shardkit); verify --no-manifest checks the records alone"))
            }
            return problems
        }
        guard let manifest = try? Manifest.read(from: directory.path) else { return problems }
        var listed: Set<String> = []
        for split in manifest.splits.values {
            for shard in split.shards {
                listed.insert(shard.file)
                if let index = shard.index { listed.insert(index) }
            }
        }
        // Index files in index/, and beside the shards where earlier versions put them.
        let candidates =
            names.filter { ShardFiles.isRecordFileName($0) || ShardFiles.isIndexFileName($0) }
            + indexNames.filter(ShardFiles.isIndexFileName).map { "\(ShardIndex.directoryName)/\($0)" }
        for name in candidates where !listed.contains(name) {
            problems.append(
                Problem(
                    path: directory.appendingPathComponent(name).path,
                    message: "not listed in \(Manifest.fileName) (a shard of another run?)"))
        }
        return problems
    }

    /// `dataset_info.json`, when there is one: every split's shard lengths and byte count as the
    /// manifest gives them (TFDS trusts these numbers when it reads the shards).
    private func checkDatasetInfo(_ url: URL, against manifest: Manifest) -> [Problem] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        guard let info = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let splits = info["splits"] as? [[String: Any]]
        else { return [Problem(path: url.path, message: "not a valid dataset_info.json")] }
        var problems: [Problem] = []
        for (name, split) in manifest.splits.sorted(by: { $0.key < $1.key }) {
            guard let entry = splits.first(where: { $0["name"] as? String == name }) else {
                problems.append(Problem(path: url.path, message: "split \(name) of the manifest is missing"))
                continue
            }
            let lengths = (entry["shardLengths"] as? [String])?.compactMap { Int($0) }
            if lengths != split.shards.map(\.records) {
                problems.append(
                    Problem(path: url.path, message: "split \(name): shard lengths differ from the manifest's"))
            }
            if (entry["numBytes"] as? String).flatMap({ Int64($0) }) != split.bytes {
                problems.append(Problem(path: url.path, message: "split \(name): byte count differs from the manifest's"))
            }
        }
        if splits.count != manifest.splits.count {
            problems.append(Problem(path: url.path, message: "\(splits.count) splits, the manifest \(manifest.splits.count)"))
        }
        return problems
    }

    /// Every line of `shard`'s index file against the shard's framing: `offset length` per record,
    /// and for a GZIP shard also the record's member and its offset in the member (`ShardIndex`).
    private func checkIndex(_ indexPath: String, locations: [RecordLocation], gzip: Bool) -> [Problem] {
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            return [Problem(path: indexPath, message: "listed in manifest but missing or unreadable")]
        }
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var problems: [Problem] = []
        var byteOffset: Int64 = 0
        for (i, line) in lines.enumerated() {
            defer { byteOffset += Int64(line.count) + 1 }
            if i == lines.count - 1 && line.isEmpty { break }  // the final newline
            guard i < locations.count else {
                problems.append(
                    Problem(
                        path: indexPath, recordIndex: i, byteOffset: byteOffset,
                        message: "index has more lines than the shard has records (\(locations.count))"))
                break
            }
            let want = locations[i]
            if gzip && want.member == nil {
                problems.append(
                    Problem(
                        path: indexPath, recordIndex: i, byteOffset: byteOffset,
                        message: "the shard's record at \(want.offset) runs on into the next gzip member, so no index line can point at it"))
                continue
            }
            guard let got = ShardIndex.parse(line), (got.member == nil) == !gzip else {
                problems.append(
                    Problem(
                        path: indexPath, recordIndex: i, byteOffset: byteOffset,
                        message: "index line is not `\(gzip ? "offset length member offset-in-member" : "offset length")` "
                            + "(expected \(Self.text(want)))"))
                continue
            }
            if got != want {
                problems.append(
                    Problem(
                        path: indexPath, recordIndex: i, byteOffset: byteOffset,
                        message: "index says \(Self.text(got)), the shard's framing \(Self.text(want))"))
            }
        }
        let indexed = lines.count - (lines.last?.isEmpty == true ? 1 : 0)
        if indexed < locations.count {
            problems.append(
                Problem(
                    path: indexPath, byteOffset: Int64(data.count),
                    message: "index has \(indexed) lines, the shard \(locations.count) records"))
        }
        if let last = data.last, last != UInt8(ascii: "\n") {
            problems.append(Problem(path: indexPath, byteOffset: Int64(data.count), message: "index does not end with a newline"))
        }
        return problems
    }

    /// An index entry's numbers as its line has them, unpadded.
    private static func text(_ location: RecordLocation) -> String {
        var text = "\(location.offset) \(location.length)"
        if let member = location.member { text += " \(member.fileOffset) \(member.offsetInMember)" }
        return text
    }

    /// Reads every record of `url`; the locations are nil when the file could not be read to its
    /// end, and empty for ZLIB files (which have no index). For GZIP files each location carries
    /// the member holding it; a record that straddles two members is a problem (it cannot be read
    /// from one member, which is what the index promises).
    private func verifyFile(_ url: URL, progress: ProgressReporter)
        -> (Int, Int, [Problem], (locations: [RecordLocation], gzip: Bool)?)
    {
        var problems: [Problem] = []
        var reader: RecordReader
        do {
            reader = try RecordReader(path: url.path, options: .init(skipCorrupt: skipCorrupt, tracksGzipMembers: true))
        } catch {
            return (0, 0, [Problem(error)], nil)
        }
        var records = 0
        var readToEnd = false
        var locations: [RecordLocation] = []
        while true {
            do {
                guard let payload = try reader.nextRecord() else {
                    readToEnd = true
                    break
                }
                if reader.compression != .zlib {
                    locations.append(RecordLocation(offset: reader.lastRecordOffset, length: 16 + Int64(payload.count)))
                }
                records += 1
                progress.advance()
            } catch {
                problems.append(Problem(error))
                break
            }
        }
        // Skipped records come before a fatal error in the file, so list them first.
        let skipped = reader.skipReports.map { report in
            var problem = Problem(report)
            problem.message += " (skipped)"
            return problem
        }
        if reader.skippedRecords > reader.skipReports.count {
            problems.append(Problem(path: url.path, message: "\(reader.skippedRecords - reader.skipReports.count) more skipped records not listed"))
        }
        if readToEnd && reader.compression == .gzip {
            Self.assignMembers(&locations, members: reader.gzipMemberStarts)
        }
        // With skipped records the framing no longer lines up with an index; it was reported already.
        let complete = readToEnd && reader.skippedRecords == 0
        return (
            records, reader.skippedRecords, skipped + problems,
            readToEnd ? (complete ? locations : [], reader.compression == .gzip) : nil
        )
    }

    /// Gives each location of a GZIP file its member (the last member starting at or before it),
    /// except a record that runs on into the next member: no one member holds it (a valid GZIP file,
    /// but no index can point at it; ShardKit never writes one).
    private static func assignMembers(_ locations: inout [RecordLocation], members: [GzipMemberStart]) {
        var m = 0
        for i in locations.indices {
            let offset = locations[i].offset
            while m + 1 < members.count && members[m + 1].streamOffset <= offset { m += 1 }
            let straddles = m + 1 < members.count && offset + locations[i].length > members[m + 1].streamOffset
            locations[i].member =
                straddles
                ? nil : GzipMemberPosition(fileOffset: members[m].fileOffset, offsetInMember: offset - members[m].streamOffset)
        }
    }

    private func checkManifest(
        _ url: URL, counted: [String: Int], framing: [String: (locations: [RecordLocation], gzip: Bool)]
    ) -> [Problem] {
        let manifest: Manifest
        do { manifest = try Manifest.read(from: url.path) } catch {
            return [Problem(path: url.path, message: "unreadable manifest: \(error)")]
        }
        var problems: [Problem] = []
        if let bytes = FileManager.default.contents(atPath: url.path), let why = Manifest.checksumMismatch(in: [UInt8](bytes)) {
            problems.append(Problem(path: url.path, message: why))
        }
        let directory = url.deletingLastPathComponent()
        problems += checkDatasetInfo(directory.appendingPathComponent("dataset_info.json"), against: manifest)
        for (split, entry) in manifest.splits.sorted(by: { $0.key < $1.key }) {
            for shard in entry.shards {
                let shardURL = directory.appendingPathComponent(shard.file)
                let path = shardURL.path
                guard FileManager.default.fileExists(atPath: path) else {
                    problems.append(Problem(path: path, message: "listed in manifest (split \(split)) but missing"))
                    continue
                }
                if let records = counted[shardURL.standardizedFileURL.path], records != shard.records {
                    problems.append(Problem(path: path, message: "manifest says \(shard.records) records, found \(records)"))
                }
                if let index = shard.index, let read = framing[shardURL.standardizedFileURL.path],
                    read.locations.count == counted[shardURL.standardizedFileURL.path]
                {
                    problems += checkIndex(
                        directory.appendingPathComponent(index).path, locations: read.locations, gzip: read.gzip)
                }
                do {
                    let digest = try sha256(fileAt: path)
                    if digest != shard.sha256 {
                        problems.append(Problem(path: path, message: "SHA-256 \(digest) differs from the manifest's \(shard.sha256)"))
                    }
                } catch {
                    problems.append(Problem(path: path, message: "cannot read: \(error)"))
                }
            }
        }
        return problems
    }
}
