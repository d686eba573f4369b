internal import ShardKitSupport
package import Foundation
package import RecordIO
package import Examples

#if canImport(Glibc)
    import Glibc
#endif


/// Writes one dataset with several splits into an output directory so that a failed or
/// interrupted run leaves nothing that looks complete, in one of two roles.
///
/// **The whole dataset in this process** (`.whole`): every shard goes first to a hidden staging
/// directory inside the output, `OUTPUT/.shardkit-staging-<pid>/`, written there under its own
/// name (no temporary name: the folder is private), fsynced, and given a receipt once complete
/// (`ShardReceipt`); index files go to its `index/` folder. `commit` runs only after every split
/// finished: it renames each shard into OUTPUT and each index file into `OUTPUT/index/` (once:
/// stage, fsync, rename, manifest last is the one crash-safety mechanism), writes the side files, `dataset_info.json` and `features.json`, and
/// `manifest.json` last. `abort` (also run when the writer is dropped uncommitted) removes the
/// staging directory, whatever it already moved, and `OUTPUT/index/` when it made that folder.
/// A staging folder left by a run that was killed is removed by the next run into the same
/// output once its process is gone, or, with `resume`, taken over when it was written with the
/// same fingerprint: its shards with receipts are kept, and only the others are written again.
///
/// With `overwrite`, an output that already holds a dataset is not refused: the old dataset stays
/// untouched until `commit`, which sets its files aside, puts the new ones in place and the new
/// manifest last, and undoes all of that if anything fails or a signal arrives before the new
/// manifest is written (`DatasetReplacement`; formats/crash-safety.md).
///
/// **One worker of several** (`.worker`): the worker writes its shards straight into OUTPUT under
/// their final names, index files into `OUTPUT/index/` (each under a hidden temporary name first,
/// renamed when complete), then a
/// receipt per shard in `OUTPUT/.shardkit-work/receipts/`, and at its end a job file
/// (`DatasetJob`) there. It writes no manifest: `DatasetCommitter` does, once every receipt is in.
package final class DatasetWriter {
    /// Who writes what.
    package enum Role: Sendable, Equatable {
        /// One process writes every shard; `resume` takes over a killed run's staging.
        case whole(resume: Bool)
        /// This process writes the shards given to `open(split:count:only:)`, in place.
        case worker(WorkerSlot)
    }

    package let output: URL
    /// Where the shards are written: the staging folder (`.whole`) or the output itself (`.worker`).
    package let staging: URL
    package let name: String
    package let sharding: ShardingPolicy
    package let compression: Compression
    package let durable: Bool
    package let role: Role
    /// What the shards depend on (options, input); receipts carry its digest.
    package let fingerprint: [String: String]
    private let fingerprintDigest: String
    /// Where receipts go.
    private let receipts: URL
    private var writers: [String: ShardedWriter] = [:]
    /// Splits in the order they were opened, with their record and shard counts when known.
    private var plan: [DatasetJob.SplitPlan] = []
    /// The schema of each shard's records, by split and shard number, for its receipt.
    private var shardSchemas: [String: [Int: SchemaAccumulator]] = [:]
    /// Finished splits in the order they finished (after `commit`, as committed).
    package private(set) var splits: [(name: String, manifest: SplitManifest)] = []
    private var moved: [URL] = []
    /// Final shard name → its name in staging, where they differ (`ShardReceipt.stagedAs`).
    private var stagedNames: [String: String] = [:]
    private var done = false
    /// What an interrupt removes while this writer is unfinished (`Interrupts`).
    private var interruptToken: Int?
    /// Whether this writer made the output directory (a failed run then removes it again, empty).
    private let createdOutput: Bool
    /// `output/index`, where the commit puts the index files.
    private var indexDirectory: URL { output.appendingPathComponent(ShardIndex.directoryName) }
    /// Whether the commit made `indexDirectory` (a failed run then removes it again, empty).
    private var createdIndexDirectory = false
    /// The lock that keeps other writers out of `output` while this one runs.
    private var lock: OutputLock?
    /// A worker's claim on its slot.
    private var claim: WorkerClaim?
    /// Whether an existing dataset in the output is replaced at `commit` (else it is refused).
    package let overwrite: Bool
    /// The commit's replacement of the old dataset, while one runs (`overwrite` only).
    private var replacement: DatasetReplacement?

    /// The lock file in the output directory; held with `flock` while a writer runs.
    package static let lockName = ".shardkit-lock"
    /// The folder in the output where workers leave receipts and job files for `commit`.
    package static let workFolder = ".shardkit-work"

    package init(
        output: URL, name: String, sharding: ShardingPolicy, compression: Compression, durable: Bool = true,
        role: Role = .whole(resume: false), fingerprint: [String: String] = [:], overwrite: Bool = false
    )
        throws(DatasetError)
    {
        if overwrite, case .worker = role {
            throw DatasetError(
                .usage,
                "--overwrite cannot be given to a worker (--worker, or a Slurm/Kubernetes array index): workers "
                    + "write in place; remove the old dataset first, or write the new one elsewhere")
        }
        self.output = output
        self.overwrite = overwrite
        self.name = name
        self.sharding = sharding
        self.compression = compression
        self.durable = durable
        self.role = role
        self.fingerprint = fingerprint
        fingerprintDigest = DatasetJob.digest(fingerprint)
        createdOutput = !FileManager.default.fileExists(atPath: output.path)
        try createDirectory(output)
        if case .worker(let slot) = role {
            staging = output
            let work = output.appendingPathComponent(Self.workFolder)
            receipts = work.appendingPathComponent("receipts")
            try startWorker(slot, work: work)
            coverInterrupt(of: [])
            return
        }
        staging = output.appendingPathComponent(Self.stagingPrefix + "\(ProcessInfo.processInfo.processIdentifier)")
        receipts = staging.appendingPathComponent("receipts")
        // One writer at a time: a second run into the same output fails at once, before it looks at
        // or removes anything. flock is advisory and local to this machine's kernel (on NFS it
        // covers one client only); workers on several machines claim slots instead (`WorkerClaim`).
        lock = try OutputLock(directory: output)
        // From here on an interrupt removes whatever this run makes (its staging folder first of all).
        coverInterrupt(of: [])
        do throws(DatasetError) { try clearStaleStaging(keepingForResume: role == .whole(resume: true)) } catch {
            releaseLock()
            throw error
        }
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        let existingIndexes =
            ((try? FileManager.default.contentsOfDirectory(atPath: indexDirectory.path)) ?? [])
            .map { "\(ShardIndex.directoryName)/\($0)" }
        // With --overwrite only a workers' folder is refused: workers may still be writing into it.
        let clash =
            existing.first(where: {
                $0 == Self.workFolder || (!overwrite && ($0 == Manifest.fileName || $0.hasPrefix("\(name)-")))
            })
            ?? existingIndexes.first(where: { !overwrite && $0.hasPrefix("\(ShardIndex.directoryName)/\(name)-") })
        if let clash {
            releaseLock()
            throw DatasetError(
                .outputExists, path: output.appendingPathComponent(clash).path,
                clash == Self.workFolder
                    ? "the output directory holds shards of workers (--worker); finish them with `shardkit commit` or choose another --output"
                        + (overwrite ? " (--overwrite does not replace them: remove the folder once no worker runs)" : "")
                    : "the output directory already holds a dataset; remove it, choose another --output, or give --overwrite")
        }
        do throws(DatasetError) {
            try takeOverOrRemoveStaleStaging(existing, resume: role == .whole(resume: true))
            try createDirectory(receipts)
            try writeFile(canonicalJSON(fingerprint), to: staging.appendingPathComponent(Self.fingerprintFile))
        } catch {
            releaseLock()
            throw error
        }
        coverInterrupt(of: [])
    }

    /// Staging folders of runs that ended (killed: their process is gone), before this run looks at
    /// the output: a replacement one of them was committing is finished or undone first
    /// (`DatasetReplacement.recover`), and so is a commit without `--overwrite`
    /// (`recoverKilledCommit`), so the output holds one whole dataset or none again; then each is
    /// removed, and said so, unless `keepingForResume` (`takeOverOrRemoveStaleStaging` then
    /// decides, once the output is known to be free).
    private func clearStaleStaging(keepingForResume: Bool) throws(DatasetError) {
        let me = ProcessInfo.processInfo.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []
        for entry in entries.sorted() where entry.hasPrefix(Self.stagingPrefix) {
            guard let pid = Int32(entry.dropFirst(Self.stagingPrefix.count)), pid == me || processHasEnded(pid)
            else { continue }
            let stale = output.appendingPathComponent(entry)
            if let what = try DatasetReplacement.recover(staging: stale, output: output) {
                note("\(what) (\(stale.path))")
            } else {
                for line in Self.recoverKilledCommit(staging: stale, process: pid) { note(line) }
            }
            if keepingForResume { continue }
            if (try? FileManager.default.removeItem(at: stale)) != nil {
                note("removed \(stale.path), left by a run that ended (process \(pid))")
            }
        }
    }

    /// The staging folder's copy of the fingerprint, so that `--resume` knows what it takes over.
    private static let fingerprintFile = "fingerprint.json"

    /// Staging folders of runs that were killed (their process is gone) are removed, and said so;
    /// with `resume`, the one written with this fingerprint is renamed to this run's staging and
    /// kept. A killed run's staging with another fingerprint makes `resume` fail, saying what differs.
    private func takeOverOrRemoveStaleStaging(_ entries: [String], resume: Bool) throws(DatasetError) {
        let me = ProcessInfo.processInfo.processIdentifier
        var tookOver = false
        for entry in entries.sorted() where entry.hasPrefix(Self.stagingPrefix) {
            guard let pid = Int32(entry.dropFirst(Self.stagingPrefix.count)),
                pid == me || processHasEnded(pid)
            else { continue }
            let stale = output.appendingPathComponent(entry)
            if resume && !tookOver {
                let recorded = FileManager.default.contents(atPath: stale.appendingPathComponent(Self.fingerprintFile).path)
                    .flatMap { try? JSONDecoder().decode([String: String].self, from: $0) }
                if let recorded, recorded != fingerprint {
                    throw DatasetError(
                        .usage, path: stale.path,
                        "cannot resume: the interrupted run used other options or input; "
                            + DatasetJob.differences(recorded, fingerprint).joined(separator: "; ")
                            + ". Rerun without --resume to start over")
                }
                if recorded != nil {
                    do {
                        try FileManager.default.moveItem(at: stale, to: staging)
                    } catch {
                        throw DatasetError(.output, path: stale.path, "cannot take over the interrupted run's staging: \(error)")
                    }
                    tookOver = true
                    note("resuming the run of process \(pid) (\(stale.path))")
                    continue
                }
            }
            if (try? FileManager.default.removeItem(at: stale)) != nil {
                note("removed \(stale.path), left by a run that ended (process \(pid))")
            }
        }
        if resume && !tookOver { note("--resume: no interrupted run in \(output.path); starting from the beginning") }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("shardkit: \(line)\n".utf8))
    }

    /// A worker: no dataset committed yet, its slot claimed, and the same fingerprint as every
    /// other worker that started in this output.
    private func startWorker(_ slot: WorkerSlot, work: URL) throws(DatasetError) {
        guard case .shards = sharding else {
            throw DatasetError(
                .usage, "workers need --shards N: the shard boundaries must be known before any worker starts")
        }
        let manifest = output.appendingPathComponent(Manifest.fileName)
        guard !FileManager.default.fileExists(atPath: manifest.path) else {
            throw DatasetError(
                .outputExists, path: manifest.path,
                "the output already holds a committed dataset; remove it or choose another --output")
        }
        try createDirectory(receipts)
        claim = try WorkerClaim(directory: work.path, slot: slot)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
        for entry in entries.sorted() where entry.hasSuffix(Self.fingerprintSuffix) {
            guard
                let recorded = FileManager.default.contents(atPath: work.appendingPathComponent(entry).path)
                    .flatMap({ try? JSONDecoder().decode([String: String].self, from: $0) }),
                recorded != fingerprint
            else { continue }
            claim?.release()
            throw DatasetError(
                .usage, path: work.appendingPathComponent(entry).path,
                "another worker of this output used other options or input: "
                    + DatasetJob.differences(recorded, fingerprint).joined(separator: "; "))
        }
        try writeFile(
            canonicalJSON(fingerprint),
            to: work.appendingPathComponent("worker-\(slot.index)-of-\(slot.count)\(Self.fingerprintSuffix)"))
    }

    private static let fingerprintSuffix = ".fingerprint.json"
    /// A worker's job file ends with this.
    package static let jobSuffix = ".job.json"

    private func canonicalJSON<T: Encodable>(_ value: T) throws(DatasetError) -> [UInt8] {
        do { return try Shards.canonicalJSON(value, path: output.path) } catch { throw Self.writeFailure(error) }
    }

    private func writeFile(_ bytes: [UInt8], to url: URL) throws(DatasetError) {
        do { try writeFileAtomically(bytes, to: url.path, durable: durable) } catch { throw Self.writeFailure(error) }
    }

    /// The shards of `split` (of `count`) that already have a receipt with this fingerprint and
    /// whose files match it: a resumed run or a rerun worker keeps them.
    package func completedShards(split: String, count: Int) -> Set<Int> {
        var kept: Set<Int> = []
        for k in 0..<count {
            let file = ShardedWriter.shardFileName(name: name, split: split, index: k, count: count)
            guard let receipt = ShardReceipt.read(shardFile: file, in: receipts.path),
                receipt.fingerprint == fingerprintDigest, receipt.split == split, receipt.shard == k,
                receipt.mismatch(in: staging.path) == nil
            else { continue }
            kept.insert(k)
        }
        return kept
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
    /// A worker's interrupt removes only its own temporary files (and gives back its slot): its
    /// complete shards have receipts and are kept for the rerun.
    private func coverInterrupt(of targets: [URL], madeFolders: [URL] = []) {
        if let interruptToken { Interrupts.unregister(interruptToken) }
        if case .worker = role {
            let (directory, claimPath) = (staging.path, claim?.path)
            let token = ".tmp-\(getpid())-"
            interruptToken = Interrupts.register {
                var removed: [String] = []
                for dir in [directory, joinPath(directory, ShardIndex.directoryName)] {
                    for entry in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                    where entry.hasPrefix(".") && entry.contains(token) {
                        removeFileQuietly(joinPath(dir, entry))
                        removed.append(joinPath(dir, entry))
                    }
                }
                if let claimPath { unlink(claimPath) }
                return removed
            }
            return
        }
        let (staging, output) = (self.staging, createdOutput ? self.output : nil)
        let lockPath = self.output.appendingPathComponent(Self.lockName).path
        interruptToken = Interrupts.register {
            unlink(lockPath)
            return Self.removeUnfinished(staging: staging, moved: targets, madeFolders: madeFolders, output: output)
        }
    }

    /// From here on an interrupt undoes `replacement` (puts the old dataset back), then removes the
    /// staging folder, and the output folder when this run made it and it is empty again.
    private func coverInterrupt(replacing replacement: DatasetReplacement) {
        if let interruptToken { Interrupts.unregister(interruptToken) }
        let (staging, output) = (self.staging, createdOutput ? self.output : nil)
        let lockPath = self.output.appendingPathComponent(Self.lockName).path
        interruptToken = Interrupts.register {
            let removed = replacement.undo()
            unlink(lockPath)
            return removed + Self.removeUnfinished(staging: staging, moved: [], output: output)
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

    /// Starts writing `split`; `count` is required with `.shards`. With `only`, this process
    /// writes just those shards of the split (ascending), and is handed only their records.
    package func open(split: String, count: Int?, only: [Int]? = nil) throws(DatasetError) {
        switch sharding {
        case .shards(let n):
            guard let count else {
                throw DatasetError(.usage, "--shards needs the record count of split \(split) up front")
            }
            plan.append(DatasetJob.SplitPlan(name: split, records: count, shards: n))
        case .shardBytes:
            plan.append(DatasetJob.SplitPlan(name: split, records: count ?? -1, shards: -1))
        }
        do {
            let writer = try ShardedWriter(
                directory: staging.path, name: name, split: split, sharding: sharding, records: count,
                compression: compression,
                durable: durable, only: only, staged: isStaged)
            if case .shards(let n) = sharding {
                // A shard's own temporary files left by a killed worker go before it is written again.
                if case .worker = role { removeTemporaries(of: (only ?? Array(0..<n)).map { ShardedWriter.shardFileName(name: name, split: split, index: $0, count: n) }) }
            }
            writer.onShardPlaced = { [unowned self] k, first, stagedName, entry throws(RecordIOError) in
                let stagedAs = stagedName == entry.file ? nil : stagedName
                let indexBytes = entry.index.flatMap { _ in
                    fileSize(joinPath(staging.path, ShardIndex.relativePath(forShard: stagedAs ?? entry.file)))
                }
                let receipt = ShardReceipt(
                    split: split, shard: k, shardCount: { if case .shards(let n) = sharding { n } else { -1 } }(),
                    firstRecord: first, entry: entry, stagedAs: stagedAs, indexBytes: indexBytes,
                    schema: shardSchemas[split]?.removeValue(forKey: k) ?? SchemaAccumulator(),
                    fingerprint: fingerprintDigest, writer: writerName)
                try receipt.write(to: receipts.path, durable: durable)
            }
            writers[split] = writer
        } catch {
            throw Self.writeFailure(error)
        }
    }

    /// The one-process role writes into its staging folder, which is renamed into place at commit.
    private var isStaged: Bool {
        if case .whole = role { return true }
        return false
    }

    private var writerName: String {
        switch role {
        case .whole: "whole"
        case .worker(let slot): slot.description
        }
    }

    /// Removes hidden temporary files of `shards` (and their index files) in the shard directory.
    private func removeTemporaries(of shards: [String]) {
        let names = Set(shards)
        for directory in [staging.path, joinPath(staging.path, ShardIndex.directoryName)] {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where entry.hasPrefix(".") {
                guard let tmp = entry.range(of: ".tmp-") else { continue }
                var base = String(entry[entry.index(after: entry.startIndex)..<tmp.lowerBound])
                if base.hasSuffix(".index") { base.removeLast(".index".count) }
                if names.contains(base) { removeFileQuietly(joinPath(directory, entry)) }
            }
        }
    }

    /// Adds what the records of shard `shard` of `split` showed (before the shard completes).
    package func observe(_ schema: SchemaAccumulator, split: String, shard: Int) {
        shardSchemas[split, default: [:]][shard, default: SchemaAccumulator()].merge(schema)
    }

    package func write(split: String, _ payload: UnsafeRawBufferPointer) throws(DatasetError) {
        do {
            try writers[split]!.write(payload)
        } catch {
            throw Self.writeFailure(error)
        }
    }

    /// Forgets `split`, opened but given no record (a split found empty only after its pass):
    /// it is not finished, gets no shard, and is not in the manifest. Nothing of it is on disk
    /// yet (a shard is created by its first record).
    package func discard(split: String) {
        writers.removeValue(forKey: split)?.abort()
        plan.removeAll { $0.name == split }
    }

    /// Closes `split`'s last shard (still in staging, for the whole role).
    package func finish(split: String) throws(DatasetError) {
        guard let writer = writers.removeValue(forKey: split) else { return }
        do {
            let shards = try writer.finish()
            if let i = plan.firstIndex(where: { $0.name == split }), plan[i].shards < 0 {
                plan[i].shards = shards.count
                plan[i].records = shards.reduce(0) { $0 + $1.records }
            }
            splits.append((split, SplitManifest(shards: shards)))
        } catch {
            throw Self.writeFailure(error)
        }
    }

    /// A worker's end: writes its job file (what `commit` needs besides the receipts) and lets go
    /// of its slot. Nothing else is left to do for this worker.
    package func finishWorker(_ dataset: DatasetDescription) throws(DatasetError) {
        guard case .worker(let slot) = role else { return }
        let job = dataset.job(compression: compression, splits: plan, fingerprint: fingerprint)
        try writeFile(
            canonicalJSON(job),
            to: output.appendingPathComponent(Self.workFolder).appendingPathComponent(
                "worker-\(slot.index)-of-\(slot.count)\(Self.jobSuffix)"))
        releaseInterruptCleanup()
        claim?.release()
        done = true
    }

    /// The whole role's end: every split's shards from their receipts (so shards a resumed run
    /// took over count too), moved into place, then `dataset`'s side files and the manifest. The
    /// feature schema is `schema` when given (this process saw every record), else the receipts'.
    package func commit(_ dataset: DatasetDescription, schema: SchemaAccumulator?) throws(DatasetError) {
        let job = dataset.job(compression: compression, splits: plan, fingerprint: fingerprint)
        let assembled: (splits: [(name: String, manifest: SplitManifest)], schema: SchemaAccumulator, stagedNames: [String: String])
        do throws(DatasetError) {
            assembled = try DatasetCommitter.assemble(job, receipts: receipts.path, shards: staging.path)
        } catch {
            abort()
            throw error
        }
        splits = assembled.splits
        stagedNames = assembled.stagedNames
        let (files, manifest) = job.render(splits: assembled.splits, schema: schema ?? assembled.schema)
        try commit(files: files, manifest: manifest)
    }

    /// Moves the shards into place and writes `files` (name → bytes) and then `manifest` last.
    /// With `overwrite`, the old dataset's files are set aside first, its manifest before anything
    /// else, and are put back if the commit fails or is interrupted (`DatasetReplacement`).
    package func commit(files: [(String, [UInt8])], manifest: Manifest) throws(DatasetError) {
        // An interrupt from here on removes whatever of the commit is already in place.
        let shardFiles = splits.flatMap { $0.manifest.shards.flatMap { [$0.file] + ($0.index.map { [$0] } ?? []) } }
        let needsIndexFolder = splits.contains { $0.manifest.shards.contains { $0.index != nil } }
        if needsIndexFolder && !FileManager.default.fileExists(atPath: indexDirectory.path) {
            createdIndexDirectory = true
        }
        let placed = shardFiles + files.map(\.0) + [Manifest.fileName]
        if overwrite {
            let replacement = DatasetReplacement(output: output, staging: staging, durable: durable)
            self.replacement = replacement
            coverInterrupt(replacing: replacement)
            do throws(DatasetError) { try replacement.setAside(replacing: placed, needsIndexFolder: needsIndexFolder) } catch {
                abort()
                throw error
            }
        } else {
            coverInterrupt(
                of: placed.map { output.appendingPathComponent($0) },
                madeFolders: createdIndexDirectory ? [indexDirectory] : [])
        }
        do throws(DatasetError) {
            try place { () throws(DatasetError) in
                if createdIndexDirectory { try createDirectory(indexDirectory) }
            }
            // Each shard and index file is renamed once: from its name in staging (without
            // `-of-n` when the count was known only at the end) to its final name.
            for (_, split) in splits {
                for shard in split.shards {
                    let stagedAs = stagedNames[shard.file] ?? shard.file
                    var moves = [(stagedAs, shard.file)]
                    if let index = shard.index { moves.append((ShardIndex.relativePath(forShard: stagedAs), index)) }
                    for (from, to) in moves {
                        let target = output.appendingPathComponent(to)
                        try place { () throws(DatasetError) in
                            do { try FileManager.default.moveItem(at: staging.appendingPathComponent(from), to: target) } catch {
                                throw DatasetError(.output, path: output.path, "cannot move the shards into place: \(error)")
                            }
                        }
                        moved.append(target)
                    }
                }
            }
            if durable && needsIndexFolder { syncDirectory(indexDirectory.path) }
            for (file, bytes) in files {
                let url = output.appendingPathComponent(file)
                try place { () throws(DatasetError) in try writeFile(bytes, to: url) }
                moved.append(url)
            }
            func writeManifest() throws(DatasetError) {
                do throws(RecordIOError) { try manifest.write(to: output.path) } catch {
                    throw DatasetError(.output, path: output.path, error.description)
                }
            }
            if let replacement { try replacement.commit(writeManifest) } else { try writeManifest() }
        } catch {
            abort()
            throw error
        }
        if let replacement {
            // The old files wait in the staging folder until here; they go with it.
            replacement.finish()
            self.replacement = nil
        } else {
            try? FileManager.default.removeItem(at: staging)
        }
        releaseInterruptCleanup()
        releaseLock()
        done = true
    }

    /// One change to the output during the commit: a step of the replacement when overwriting
    /// (so that an interrupt's undo never runs in the middle of it), else simply `body`.
    private func place(_ body: () throws(DatasetError) -> Void) throws(DatasetError) {
        if let replacement { try replacement.step(body) } else { try body() }
    }

    /// Removes the lock file and lets go of the lock (the file goes first, so a waiting run that
    /// opens the path afterwards gets a new, free lock).
    private func releaseLock() {
        lock?.release()
        lock = nil
    }

    /// Removes the staging directory and every file already moved into the output.
    package func abort() {
        if case .worker = role {
            // Complete shards keep their receipts for the rerun; only unfinished files go.
            for writer in writers.values { writer.abort(keepingPlacedShards: true) }
            writers.removeAll()
            claim?.release()
            releaseInterruptCleanup()
            done = true
            return
        }
        for writer in writers.values { writer.abort() }
        writers.removeAll()
        if let replacement {
            // While the lock is held and before the staging folder goes: the old files wait there.
            _ = replacement.undo()
            moved.removeAll()  // put back or removed by the undo; not to be removed again
            self.replacement = nil
        }
        releaseLock()  // first: the lock file must go before the output folder can
        _ = Self.removeUnfinished(
            staging: staging, moved: moved, madeFolders: createdIndexDirectory ? [indexDirectory] : [],
            output: createdOutput ? output : nil)
        moved.removeAll()
        releaseInterruptCleanup()
        done = true
    }
}
