internal import ShardKitSupport
internal import Foundation
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Which of several worker processes this one is: worker `index` of `count` (0-based). Each
/// worker writes a contiguous run of the dataset's shards (`shards(of:)`), so the shards, and
/// everything `commit` writes from them, do not depend on how many workers there were.
public struct WorkerSlot: Sendable, Equatable, CustomStringConvertible {
    /// This worker's number, 0..<`count`.
    public var index: Int
    /// How many workers share the job (at least 1).
    public var count: Int
    /// Where the slot came from, for the log: `--worker`, `SLURM_ARRAY_TASK_ID`, ….
    public var source: String

    /// A slot, checked: a count below 1 or an index outside 0..<count is a `.usage` error naming `source`.
    public init(index: Int, count: Int, source: String) throws(DatasetError) {
        guard count >= 1 else { throw DatasetError(.usage, "the worker count must be at least 1, not \(count) (\(source))") }
        guard index >= 0, index < count else {
            throw DatasetError(.usage, "worker index \(index) is not in 0..<\(count) (\(source))")
        }
        self.index = index
        self.count = count
        self.source = source
    }

    /// `I/N`.
    public var description: String { "\(index)/\(count)" }

    /// `I/N` as given to `--worker`.
    public init(parsing text: String) throws(DatasetError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw DatasetError(.usage, "--worker takes I/N (this worker's index from 0, and the worker count), not \(text)")
        }
        try self.init(index: index, count: count, source: "--worker")
    }

    /// The slot a job engine gives this process: a Slurm job array (`SLURM_ARRAY_TASK_ID`, with
    /// `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_STEP` and `SLURM_ARRAY_TASK_COUNT`, so arrays
    /// like `--array=1-8` or `0-14:2` work), or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`,
    /// with the count from `workers`). Nil when neither is set.
    public static func fromEnvironment(_ environment: [String: String], workers: Int?) throws(DatasetError) -> WorkerSlot? {
        func number(_ name: String) throws(DatasetError) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw DatasetError(.usage, "\(name)=\(text) is not a number") }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = max(1, try number("SLURM_ARRAY_TASK_STEP") ?? 1)
            let arrayCount = try number("SLURM_ARRAY_TASK_COUNT")
            guard let count = workers ?? arrayCount else {
                throw DatasetError(.usage, "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT; pass --workers N")
            }
            guard (task - first) % step == 0 else {
                throw DatasetError(.usage, "SLURM_ARRAY_TASK_ID=\(task) is not on the array's grid (min \(first), step \(step))")
            }
            return try WorkerSlot(
                index: (task - first) / step, count: count,
                source: "SLURM_ARRAY_TASK_ID=\(task) (min \(first), step \(step), count \(count))")
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let workers else {
                throw DatasetError(.usage, "JOB_COMPLETION_INDEX is set: pass --workers N (the Indexed Job's completions)")
            }
            return try WorkerSlot(index: index, count: workers, source: "JOB_COMPLETION_INDEX=\(index) with --workers \(workers)")
        }
        return nil
    }

    /// The dataset-wide shard numbers this worker writes, of `total` (every split's shards in
    /// order): a contiguous run, empty when there are more workers than shards.
    public func shards(of total: Int) -> Range<Int> {
        (index * total / count)..<((index + 1) * total / count)
    }

    /// The worker that writes dataset-wide shard `shard` of `total`.
    public static func worker(writing shard: Int, of total: Int, workers: Int) -> Int {
        // The smallest i with shard < (i + 1) · total / workers.
        var i = shard * workers / max(1, total)
        while i > 0 && shard < i * total / workers { i -= 1 }
        while shard >= (i + 1) * total / workers { i += 1 }
        return i
    }
}

/// A claim on one worker slot in a shared output folder: a file created with `O_CREAT|O_EXCL`
/// (atomic on local file systems and on NFS v3 and later, unlike `flock`), holding the host and
/// process id, and kept fresh: the live worker touches it every `refreshSeconds`. A second
/// process with the same slot fails at once. A claim is taken over, and said so, when its
/// process has ended on this host, or when it has not been touched for `staleSeconds` (its
/// worker died on another host: a Kubernetes pod that was retried gets a new host name).
package final class WorkerClaim {
    package let path: String
    /// How often a live worker touches its claim.
    package static let refreshSeconds = 10
    /// A claim untouched for this long belongs to a worker that is gone
    /// (`SHARDKIT_CLAIM_STALE_SECONDS` overrides it, for tests and slow shared file systems).
    package static var staleSeconds: Int {
        ProcessInfo.processInfo.environment["SHARDKIT_CLAIM_STALE_SECONDS"].flatMap(Int.init) ?? 60
    }
    private var refresher: (any DispatchSourceTimer)?
    /// Set once the file is ours: a throwing init still runs `deinit`, which must not remove
    /// another process's claim.
    private var held = false

    package init(directory: String, slot: WorkerSlot) throws(DatasetError) {
        path = directory + "/worker-\(slot.index)-of-\(slot.count).claim"
        let host = ProcessInfo.processInfo.hostName
        let me = "\(host) \(getpid())\n"
        for _ in 0..<2 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                _ = me.withCString { write(fd, $0, strlen($0)) }
                fsync(fd)
                close(fd)
                held = true
                startRefreshing()
                return
            }
            guard errno == EEXIST else {
                throw DatasetError(.output, path: path, "cannot create the worker's claim: \(String(cString: strerror(errno)))")
            }
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: " ") ?? []
            if holder.count == 2, String(holder[0]) == host,
                let pid = Int32(holder[1].trimmingCharacters(in: .whitespacesAndNewlines)),
                processHasEnded(pid)
            {
                unlink(path)
                FileHandle.standardError.write(
                    Data("shardkit: worker \(slot) was last run by process \(pid) on this host, which has ended; taking over\n".utf8))
                continue
            }
            if let age = Self.secondsSinceTouched(path), age > Double(Self.staleSeconds) {
                unlink(path)
                FileHandle.standardError.write(
                    Data("shardkit: worker \(slot)'s claim (\(holder.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines))) was last refreshed \(Int(age)) s ago; its worker is gone; taking over\n".utf8))
                continue
            }
            throw DatasetError(
                .busy, path: path,
                "worker \(slot) is already running (\(holder.joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines))); "
                    + "if that process is gone (another host), remove this file and run again")
        }
        throw DatasetError(.busy, path: path, "cannot claim worker \(slot)")
    }

    private func startRefreshing() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        let path = self.path
        timer.schedule(deadline: .now() + .seconds(Self.refreshSeconds), repeating: .seconds(Self.refreshSeconds))
        timer.setEventHandler { _ = utimensat(AT_FDCWD, path, nil, 0) }
        timer.resume()
        refresher = timer
    }

    /// Seconds since the file at `path` was last modified (its refresh), nil if it is gone.
    private static func secondsSinceTouched(_ path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - info.st_mtim.tv_sec)
    }

    package func release() {
        refresher?.cancel()
        refresher = nil
        guard held else { return }
        unlink(path)
        held = false
    }

    deinit { release() }
}
