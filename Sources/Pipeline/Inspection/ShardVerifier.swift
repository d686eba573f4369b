public import Foundation
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
        public var description: String {
            PipelineError(.badInput, path: path, recordIndex: recordIndex, byteOffset: byteOffset, message).description
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
            let (records, skipped, problems) = verifyFile(url, progress: progress)
            counted[url.standardizedFileURL.path] = records
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

    private func verifyFile(_ url: URL, progress: ProgressReporter) -> (Int, Int, [Problem]) {
        var problems: [Problem] = []
        var reader: RecordReader
        do { reader = try RecordReader(path: url.path, skipCorrupt: skipCorrupt) } catch {
            return (0, 0, [Problem(path: url.path, message: String(describing: error))])
        }
        var records = 0
        while true {
            do {
                guard try reader.nextRecord() != nil else { break }
                records += 1
                progress.advance()
            } catch let error as RecordIOError {
                problems.append(Problem(path: url.path, recordIndex: error.recordIndex,
                                        byteOffset: Int64(error.byteOffset), message: error.kind.description))
                break
            } catch {
                problems.append(Problem(path: url.path, message: String(describing: error)))
                break
            }
        }
        for skip in reader.skippedRecords {
            problems.append(Problem(path: url.path, recordIndex: skip.recordIndex, byteOffset: Int64(skip.byteOffset),
                                    message: skip.kind.description + " (skipped)"))
        }
        return (records, reader.skippedRecords.count, problems)
    }

    private func checkManifest(_ url: URL, counted: [String: Int]) -> [Problem] {
        let manifest: Manifest
        do { manifest = try Manifest.read(from: url) } catch {
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
                    let digest = try sha256Hex(fileAt: shardURL)
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
