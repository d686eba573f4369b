internal import ShardKitSupport
import Foundation
import RecordIO

/// Checks every checksum of every record of a set of shards, and each shard listed in a manifest
/// against its recorded count and SHA-256.
public struct ShardVerifier: Sendable {
    /// One thing found wrong.
    public struct Problem: Sendable, CustomStringConvertible {
        public var path: String
        public var recordIndex: Int?
        public var byteOffset: Int64?
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

        public var description: String {
            DatasetError(.badInput, path: path, recordIndex: recordIndex, byteOffset: byteOffset, message).description
        }
    }

    /// What verification found.
    public struct Report: Sendable {
        public var files = 0
        public var records = 0
        public var skipped = 0
        public var problems: [Problem] = []

        /// True when nothing is wrong.
        public var isClean: Bool { problems.isEmpty }

        /// One line per problem.
        public func problemLines() -> [String] { problems.map(\.description) }

        /// `verified 4 files, 60000 records: OK` or `... 2 problems`.
        public func summary() -> String {
            var text = "verified \(files) file\(files == 1 ? "" : "s"), \(records) records"
            if skipped > 0 { text += ", skipped \(skipped) corrupt record\(skipped == 1 ? "" : "s")" }
            return text + (isClean ? ": OK" : ": \(problems.count) problem\(problems.count == 1 ? "" : "s")")
        }
    }

    public var skipCorrupt: Bool

    public init(skipCorrupt: Bool = false) { self.skipCorrupt = skipCorrupt }

    /// Verifies the record files and manifests of `found`; never throws: everything wrong is a
    /// problem in the report.
    public func verify(_ found: ShardFiles.Found, quiet: Bool = true) -> Report {
        var report = Report()
        var counted: [String: Int] = [:]
        let progress = ProgressReporter(label: "verify", total: nil, quiet: quiet, lineInterval: 100_000)
        for url in found.records {
            report.files += 1
            let (records, skipped, problems, readToEnd) = verifyFile(url, progress: progress)
            // A file that could not be read to its end already has its problem; its count means nothing.
            if readToEnd { counted[url.standardizedFileURL.path] = records + skipped }
            report.records += records
            report.skipped += skipped
            report.problems += problems
        }
        progress.finish()
        for manifestURL in found.manifests {
            report.problems += checkManifest(manifestURL, counted: counted)
        }
        return report
    }

    private func verifyFile(_ url: URL, progress: ProgressReporter) -> (Int, Int, [Problem], Bool) {
        var problems: [Problem] = []
        var reader: RecordReader
        do { reader = try RecordReader(path: url.path, options: .init(skipCorrupt: skipCorrupt)) } catch {
            return (0, 0, [Problem(error)], false)
        }
        var records = 0
        var readToEnd = false
        while true {
            do {
                guard try reader.nextRecord() != nil else {
                    readToEnd = true
                    break
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
        return (records, reader.skippedRecords, skipped + problems, readToEnd)
    }

    private func checkManifest(_ url: URL, counted: [String: Int]) -> [Problem] {
        let manifest: Manifest
        do { manifest = try Manifest.read(from: url.path) } catch {
            return [Problem(path: url.path, message: "unreadable manifest: \(error)")]
        }
        var problems: [Problem] = []
        let directory = url.deletingLastPathComponent()
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
