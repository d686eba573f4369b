internal import ShardKitSupport
public import Foundation
package import Examples
import RecordIO

#if canImport(Glibc)
    import Glibc
#endif

/// `shardkit commit DIR`: finishes a dataset that workers wrote (`DatasetWriter.Role.worker`).
///
/// It reads the workers' job files and every shard's receipt, checks each shard against its
/// receipt (the file and its index exist with the sizes the receipt gives: a stat per file, so
/// commit costs O(shards), not O(records)), and only when every shard of every split is there
/// writes `dataset_info.json`, `features.json`, the label files and `manifest.json`, last. The
/// result is byte-identical to the same conversion run by one process. If shards are missing, it
/// names them and the workers to run again, and writes nothing.
public enum DatasetCommitter {
    /// What `commit` did.
    public struct Summary: Sendable {
        public var splits: [(name: String, records: Int, shards: Int, bytes: Int64)]
        /// False when the directory already held a committed dataset and nothing was done.
        public var committed: Bool
    }

    /// Commits the workers' output in `directory`. Errors: `.noInput` when no worker finished
    /// or shards are missing (naming them and their workers), `.usage` when workers disagree,
    /// `.busy` when another run writes into the directory, `.output` when writing fails.
    public static func commit(directory: URL) throws(DatasetError) -> Summary {
        let work = directory.appendingPathComponent(DatasetWriter.workFolder)
        let manifestPath = directory.appendingPathComponent(Manifest.fileName).path
        if FileManager.default.fileExists(atPath: manifestPath) && !FileManager.default.fileExists(atPath: work.path) {
            let manifest: Manifest
            do { manifest = try Manifest.read(from: manifestPath) } catch {
                throw DatasetError(.badInput, path: manifestPath, error.description, underlying: error)
            }
            return Summary(
                splits: manifest.splits.keys.sorted().map { name in
                    let split = manifest.splits[name]!
                    return (name, split.records, split.shards.count, split.bytes)
                }, committed: false)
        }
        guard isDirectory(work.path) else {
            throw DatasetError(
                .noInput, path: directory.path,
                "nothing to commit: no \(DatasetWriter.workFolder)/ folder (run `shardkit convert … --worker I/N` first)")
        }
        let lock = try OutputLock(directory: directory)
        defer { lock.release() }
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []).sorted()
        var jobs: [(String, DatasetJob)] = []
        for entry in entries where entry.hasSuffix(DatasetWriter.jobSuffix) {
            let path = work.appendingPathComponent(entry).path
            guard let data = FileManager.default.contents(atPath: path),
                let job = try? JSONDecoder().decode(DatasetJob.self, from: data)
            else { throw DatasetError(.badInput, path: path, "not a readable job file") }
            jobs.append((entry, job))
        }
        guard let (_, job) = jobs.first else {
            throw DatasetError(
                .noInput, path: work.path, "no worker has finished yet; run the workers (every index) and then commit")
        }
        for (entry, other) in jobs.dropFirst() where other != job {
            throw DatasetError(
                .usage, path: work.appendingPathComponent(entry).path,
                "workers disagree about the dataset: "
                    + (other.fingerprint != job.fingerprint
                        ? DatasetJob.differences(job.fingerprint, other.fingerprint).joined(separator: "; ")
                        : "their descriptions differ"))
        }
        let workerCounts = Set(jobs.compactMap { Self.workerCount(jobFile: $0.0) })
        let assembled = try assemble(
            job, receipts: work.appendingPathComponent("receipts").path, shards: directory.path,
            workers: workerCounts.count == 1 ? workerCounts.first : nil)
        let (files, manifest) = job.render(splits: assembled.splits, schema: assembled.schema)
        do {
            for (name, bytes) in files {
                try writeFileAtomically(bytes, to: directory.appendingPathComponent(name).path)
            }
            try manifest.write(to: directory.path)
        } catch {
            throw DatasetError(.output, path: error.path, error.reason, underlying: error)
        }
        // The work folder and any temporary file a killed worker left are of no use any more.
        try? FileManager.default.removeItem(at: work)
        for dir in [directory.path, joinPath(directory.path, ShardIndex.directoryName)] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            where entry.hasPrefix(".") && entry.contains(".tmp-") {
                removeFileQuietly(joinPath(dir, entry))
            }
        }
        return Summary(
            splits: assembled.splits.map { ($0.name, $0.manifest.records, $0.manifest.shards.count, $0.manifest.bytes) },
            committed: true)
    }

    /// N of `worker-I-of-N.job.json`.
    private static func workerCount(jobFile: String) -> Int? {
        guard let of = jobFile.range(of: "-of-"), let dot = jobFile.range(of: DatasetWriter.jobSuffix) else { return nil }
        return Int(jobFile[of.upperBound..<dot.lowerBound])
    }

    /// Every split's shards in `job`'s order, from their receipts in `receipts`, each checked
    /// against its files in `shards`; and the merged schema of their records. A missing or
    /// mismatched shard is an error naming all of them (and, given `workers`, which worker
    /// indices to run again).
    package static func assemble(_ job: DatasetJob, receipts: String, shards: String, workers: Int? = nil)
        throws(DatasetError) -> (
            splits: [(name: String, manifest: SplitManifest)], schema: SchemaAccumulator, stagedNames: [String: String]
        )
    {
        var stagedNames: [String: String] = [:]
        let digest = job.fingerprintDigest
        var splits: [(name: String, manifest: SplitManifest)] = []
        var schema = SchemaAccumulator()
        var problems: [String] = []
        var rerun: Set<Int> = []
        let totalShards = job.splits.reduce(0) { $0 + max(0, $1.shards) }
        var ordinal = 0
        for plan in job.splits {
            var entries: [ShardManifest] = []
            for k in 0..<max(0, plan.shards) {
                defer { ordinal += 1 }
                let file = ShardedWriter.shardFileName(name: job.name, split: plan.name, index: k, count: plan.shards)
                let problem: String?
                if let receipt = ShardReceipt.read(shardFile: file, in: receipts) {
                    if receipt.fingerprint != digest {
                        problem = "\(file): its receipt is from a run with other options or input"
                    } else if let mismatch = receipt.mismatch(in: shards) {
                        problem = mismatch
                    } else {
                        problem = nil
                        entries.append(receipt.entry)
                        schema.merge(receipt.schema)
                        if let stagedAs = receipt.stagedAs { stagedNames[receipt.entry.file] = stagedAs }
                    }
                } else {
                    problem = "\(file): no receipt (not written, or its worker did not finish it)"
                }
                if let problem {
                    if let workers {
                        let worker = WorkerSlot.worker(writing: ordinal, of: totalShards, workers: workers)
                        rerun.insert(worker)
                        problems.append("\(problem) [worker \(worker)/\(workers)]")
                    } else {
                        problems.append(problem)
                    }
                }
            }
            splits.append((plan.name, SplitManifest(shards: entries)))
        }
        guard problems.isEmpty else {
            var message = "\(problems.count) of \(totalShards) shards are not complete: " + problems.joined(separator: "; ")
            if let workers {
                message += ". Run again: " + rerun.sorted().map { "--worker \($0)/\(workers)" }.joined(separator: ", ")
            }
            throw DatasetError(.noInput, path: shards, message)
        }
        return (splits, schema, stagedNames)
    }
}

/// An exclusive `flock` on a dataset directory's lock file, taken without waiting: a second
/// writer (or commit) fails at once with `.busy`.
package final class OutputLock {
    private var descriptor: Int32
    private let path: String

    package init(directory: URL) throws(DatasetError) {
        path = directory.appendingPathComponent(DatasetWriter.lockName).path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DatasetError(.output, path: path, "cannot create the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            descriptor = -1
            throw DatasetError(
                .busy, path: directory.path, "another shardkit run is writing into this output; wait for it or choose another --output")
        }
    }

    /// Removes the lock file and lets go of the lock (the file goes first, so a waiting run that
    /// opens the path afterwards gets a new, free lock).
    package func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
