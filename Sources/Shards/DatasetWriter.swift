internal import ShardKitSupport
package import Foundation
package import RecordIO

#if canImport(Glibc)
    import Glibc
#endif

/// How the records of each split are spread over shards.
public enum ShardingPolicy: Sendable, Equatable {
    /// Exactly this many shards per split (the split's record count must be known up front).
    case shards(Int)
    /// A new shard once the current one holds this many bytes.
    case shardBytes(Int64)
}

/// Writes one dataset with several splits into an output directory so that a failed or
/// interrupted run leaves nothing that looks complete.
///
/// Every shard goes first to a hidden staging directory inside the output,
/// `OUTPUT/.shardkit-staging-<pid>/` (index files in its `index/` folder). `commit` runs only after
/// every split finished: it moves the shards into OUTPUT and their index files into `OUTPUT/index/`,
/// writes the side files (label names, the character dictionary), `dataset_info.json` and
/// `features.json`, and `manifest.json` last. `abort` (also run when the writer is dropped
/// uncommitted) removes the staging directory, whatever it already moved, and `OUTPUT/index/` when
/// it made that folder. A staging folder left by a run that was killed is removed by the next run
/// into the same output once its process is gone.
package final class DatasetWriter {
    package let output: URL
    package let staging: URL
    package let name: String
    package let sharding: ShardingPolicy
    package let compression: Compression
    package let durable: Bool
    private var writers: [String: ShardedWriter] = [:]
    /// Finished splits in the order they finished.
    package private(set) var splits: [(name: String, manifest: SplitManifest)] = []
    private var moved: [URL] = []
    private var done = false
    /// What an interrupt removes while this writer is unfinished (`Interrupts`).
    private var interruptToken: Int?
    /// Whether this writer made the output directory (a failed run then removes it again, empty).
    private let createdOutput: Bool
    /// `output/index`, where the commit puts the index files.
    private var indexDirectory: URL { output.appendingPathComponent(ShardIndex.directoryName) }
    /// Whether the commit made `indexDirectory` (a failed run then removes it again, empty).
    private var createdIndexDirectory = false
    /// The open lock file that keeps other writers out of `output` while this one runs.
    private var lock: Int32 = -1

    /// The lock file in the output directory; held with `flock` while a writer runs.
    package static let lockName = ".shardkit-lock"

    package init(output: URL, name: String, sharding: ShardingPolicy, compression: Compression, durable: Bool = true)
        throws(DatasetError)
    {
        self.output = output
        self.name = name
        self.sharding = sharding
        self.compression = compression
        self.durable = durable
        staging = output.appendingPathComponent(Self.stagingPrefix + "\(ProcessInfo.processInfo.processIdentifier)")
        createdOutput = !FileManager.default.fileExists(atPath: output.path)
        try createDirectory(output)
        // One writer at a time: a second run into the same output fails at once, before it looks at
        // or removes anything. flock is advisory and local to this machine's kernel (on NFS it
        // covers one client only); the scale-out work gives each worker its own files instead.
        let lockPath = output.appendingPathComponent(Self.lockName).path
        lock = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw DatasetError(.output, path: lockPath, "cannot create the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(lock)
            lock = -1
            throw DatasetError(
                .busy, path: output.path, "another shardkit run is writing into this output; wait for it or choose another --output")
        }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let existingIndexes =
            ((try? FileManager.default.contentsOfDirectory(atPath: indexDirectory.path)) ?? [])
            .map { "\(ShardIndex.directoryName)/\($0)" }
        let clash =
            existing.first(where: { $0 == Manifest.fileName || $0.hasPrefix("\(name)-") })
            ?? existingIndexes.first(where: { $0.hasPrefix("\(ShardIndex.directoryName)/\(name)-") })
        if let clash {
            releaseLock()
            throw DatasetError(
                .outputExists, path: output.appendingPathComponent(clash).path,
                "the output directory already holds a dataset; remove it or choose another --output")
        }
        // Staging folders of runs that were killed (their process is gone) are removed, and said so.
        for entry in existing where entry.hasPrefix(Self.stagingPrefix) {
            if let pid = Int32(entry.dropFirst(Self.stagingPrefix.count)),
                pid == ProcessInfo.processInfo.processIdentifier || (kill(pid, 0) != 0 && errno == ESRCH)
            {
                let stale = output.appendingPathComponent(entry)
                if (try? FileManager.default.removeItem(at: stale)) != nil {
                    FileHandle.standardError.write(
                        Data("shardkit: removed \(stale.path), left by a run that ended (process \(pid))\n".utf8))
                }
            }
        }
        do throws(DatasetError) { try createDirectory(staging) } catch {
            releaseLock()
            throw error
        }
        coverInterrupt(of: [])
    }

    /// Removes `moved`, then `madeFolders` (this run's folders inside the output, when empty again),
    /// the staging folder (retrying while workers may still add files to it) and the output
    /// directory when this run made it and it is empty again.
    /// The one clean-up of an unfinished output, for `abort()` and for an interrupt alike.
    private static func removeUnfinished(staging: URL, moved: [URL], madeFolders: [URL] = [], output: URL?) -> [String] {
        var removed: [String] = []
        for url in moved where (try? FileManager.default.removeItem(at: url)) != nil { removed.append(url.path) }
        for url in madeFolders where rmdir(url.path) == 0 { removed.append(url.path) }
        for _ in 0..<5 {
            guard FileManager.default.fileExists(atPath: staging.path) else { break }
            if (try? FileManager.default.removeItem(at: staging)) != nil {
                removed.append(staging.path)
                break
            }
        }
        if let output, rmdir(output.path) == 0 { removed.append(output.path) }
        return removed
    }

    /// From here on an interrupt also removes `targets` (the files a commit puts in place) and the
    /// folders in `madeFolders`, when empty.
    private func coverInterrupt(of targets: [URL], madeFolders: [URL] = []) {
        if let interruptToken { Interrupts.unregister(interruptToken) }
        let (staging, output) = (self.staging, createdOutput ? self.output : nil)
        let lockPath = self.output.appendingPathComponent(Self.lockName).path
        interruptToken = Interrupts.register {
            unlink(lockPath)
            return Self.removeUnfinished(staging: staging, moved: targets, madeFolders: madeFolders, output: output)
        }
    }

    private func releaseInterruptCleanup() {
        if let interruptToken { Interrupts.unregister(interruptToken) }
        interruptToken = nil
    }

    package static let stagingPrefix = ".shardkit-staging-"

    /// A failure of the record layer while writing: always an output failure (a full disk, no
    /// permission), naming the file it was writing.
    private static func writeFailure(_ error: RecordIOError) -> DatasetError {
        DatasetError(.output, path: error.path, recordIndex: error.recordIndex, error.reason, underlying: error)
    }

    deinit {
        if !done { abort() }
    }

    /// Starts writing `split`; `count` is required with `.shards`.
    package func open(split: String, count: Int?) throws(DatasetError) {
        let mode: ShardedWriter.Sharding
        switch sharding {
        case .shards(let n):
            guard let count else {
                throw DatasetError(.usage, "--shards needs the record count of split \(split) up front")
            }
            mode = .shardCount(n, totalRecords: count)
        case .shardBytes(let bytes):
            mode = .targetShardBytes(bytes)
        }
        do {
            writers[split] = try ShardedWriter(
                directory: staging.path, name: name, split: split, sharding: mode, compression: compression,
                durable: durable)
        } catch {
            throw Self.writeFailure(error)
        }
    }

    package func write(split: String, _ payload: UnsafeRawBufferPointer) throws(DatasetError) {
        do {
            try writers[split]!.write(payload)
        } catch {
            throw Self.writeFailure(error)
        }
    }

    /// Closes `split`'s last shard (still in staging).
    package func finish(split: String) throws(DatasetError) {
        guard let writer = writers.removeValue(forKey: split) else { return }
        do {
            splits.append((split, SplitManifest(shards: try writer.finish())))
        } catch {
            throw Self.writeFailure(error)
        }
    }

    /// Moves the shards into place and writes `files` (name → bytes) and then `manifest` last.
    package func commit(files: [(String, [UInt8])], manifest: Manifest) throws(DatasetError) {
        // An interrupt from here on removes whatever of the commit is already in place.
        let shardFiles = splits.flatMap { $0.manifest.shards.flatMap { [$0.file] + ($0.index.map { [$0] } ?? []) } }
        let needsIndexFolder = splits.contains { $0.manifest.shards.contains { $0.index != nil } }
        if needsIndexFolder && !FileManager.default.fileExists(atPath: indexDirectory.path) {
            createdIndexDirectory = true
        }
        coverInterrupt(
            of: (shardFiles + files.map(\.0) + [Manifest.fileName]).map { output.appendingPathComponent($0) },
            madeFolders: createdIndexDirectory ? [indexDirectory] : [])
        do {
            if createdIndexDirectory { try FileManager.default.createDirectory(at: indexDirectory, withIntermediateDirectories: false) }
            for (_, split) in splits {
                for shard in split.shards {
                    for file in [shard.file] + (shard.index.map { [$0] } ?? []) {
                        let target = output.appendingPathComponent(file)
                        try FileManager.default.moveItem(at: staging.appendingPathComponent(file), to: target)
                        moved.append(target)
                    }
                }
            }
        } catch {
            abort()
            throw DatasetError(.output, path: output.path, "cannot move the shards into place: \(error)")
        }
        if durable && needsIndexFolder { syncDirectory(indexDirectory.path) }
        for (file, bytes) in files {
            try writeAtomically(bytes, to: output.appendingPathComponent(file))
        }
        do {
            try manifest.write(to: output.path)
        } catch {
            abort()
            throw DatasetError(.output, path: output.path, error.description)
        }
        releaseInterruptCleanup()
        try? FileManager.default.removeItem(at: staging)
        releaseLock()
        done = true
    }

    /// Removes the lock file and lets go of the lock (the file goes first, so a waiting run that
    /// opens the path afterwards gets a new, free lock).
    private func releaseLock() {
        guard lock >= 0 else { return }
        unlink(output.appendingPathComponent(Self.lockName).path)
        Glibc.close(lock)
        lock = -1
    }

    private func writeAtomically(_ bytes: [UInt8], to url: URL) throws(DatasetError) {
        do {
            try Data(bytes).write(to: url, options: .atomic)
            moved.append(url)
        } catch {
            abort()
            throw DatasetError(.output, path: url.path, "cannot write: \(error.localizedDescription)")
        }
    }

    /// Removes the staging directory and every file already moved into the output.
    package func abort() {
        for writer in writers.values { writer.abort() }
        writers.removeAll()
        releaseLock()  // first: the lock file must go before the output folder can
        _ = Self.removeUnfinished(
            staging: staging, moved: moved, madeFolders: createdIndexDirectory ? [indexDirectory] : [],
            output: createdOutput ? output : nil)
        moved.removeAll()
        releaseInterruptCleanup()
        done = true
    }
}
