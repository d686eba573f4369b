internal import ShardKitSupport
public import RecordIO
import Glibc

/// Writes one split of a dataset as TFRecord shards named the TensorFlow Datasets way,
/// `{name}-{split}.tfrecord-{i:05d}-of-{n:05d}`, each with an index file
/// `index/{shard}.index` (see `ShardIndex`: one fixed-width line per record; plain and GZIP shards,
/// not ZLIB). The index files sit in the `index/` folder so that the shards' glob pattern
/// (`{name}-{split}.tfrecord*`) matches shards only.
///
/// GZIP shards are written as a sequence of complete gzip members of about `gzipMemberBytes`
/// uncompressed bytes each (whole records; see `RecordWriter`), so that one record can be read by
/// inflating its member alone.
///
/// Crash safety: every shard and index is written under a hidden temporary name
/// (`.{file}.tmp-{token}`), fsynced, and renamed into place only when complete. With a shard
/// count, shard k holds records [k·N/n, (k+1)·N/n) and is renamed as soon as it is complete; with
/// a target size, n is only known at the end, so all shards are renamed by `finish()`.
/// `abort()`, or dropping the writer without `finish()`, removes every file it created.
///
/// Per shard it counts records and bytes and computes the SHA-256 of the file as it is written.
public final class ShardedWriter {
    /// The policy with what the writer needs to follow it (the record total for a shard count).
    private enum Sharding: Sendable, Equatable {
        case shardCount(Int, totalRecords: Int)
        case targetShardBytes(Int64)
    }

    private struct Shard {
        /// The shard's number in the split (k of `-0000k-of-`).
        var number: Int
        /// The split's record number of the shard's first record.
        var firstRecord: Int
        var baseName: String  // final name without "-of-NNNNN" in target mode
        /// The name the shard has in `directory` once complete: its final name, or, for a staged
        /// writer with a target size, the name without `-of-n` (the count is known only at the
        /// end; the one rename into the output gives the final name).
        var stagedName: String
        var tempPath: String
        var tempIndexPath: String?
        var finalPath: String?
        var finalIndexPath: String?
        var summary: RecordFileSummary?
    }

    public let directory: String
    public let name: String
    public let split: String
    /// How records are spread over this split's shards.
    public let policy: ShardingPolicy
    private let sharding: Sharding
    public let compression: Compression
    /// Whether index files are written (plain and GZIP shards; ZLIB shards have none).
    public let writesIndex: Bool
    /// The uncompressed bytes after which a GZIP shard's member is closed (before the next record).
    /// 256 KiB: deflate looks back only 32 KiB, so restarting it every 256 KiB made GZIP shards
    /// 0.16–0.17% larger than one member (MNIST as PNG and as raw pixels, synth strings), against
    /// 0.7% at 64 KiB and 0.04% at 1 MiB; reading one record inflates on average half a member,
    /// about four times less work than with 1 MiB members (`formats/tfrecord.md` has the numbers).
    public static let gzipMemberBytes = 256 << 10
    /// Records written so far.
    public private(set) var recordsWritten = 0
    /// With a shard count, the shards this writer writes, ascending (all of them unless `only`
    /// was given). Records of the other shards are never handed to it: it starts each of its
    /// shards at that shard's first record.
    public let selectedShards: [Int]
    /// Called once a shard is complete and in place under its final name, with its index file:
    /// with a shard count as each shard completes, with a target size at `finish()`.
    public var onShardPlaced: ((_ shard: Int, _ firstRecord: Int, _ stagedName: String, ShardManifest) throws(RecordIOError) -> Void)?
    /// Whether `directory` is a private staging folder that is renamed into place as a whole
    /// later (`DatasetWriter`'s one-process role): files are then written under their names
    /// directly, with no temporary name and no rename here, so that each file is renamed once
    /// on its way to the output. Completion is known from `onShardPlaced` (a receipt), not from
    /// the name. Otherwise each file is written under a hidden temporary name and renamed.
    public let staged: Bool
    /// The split's record number the next record has (with a shard count).
    private var position = 0
    /// Which of `selectedShards` opens next.
    private var nextSelected = 0

    private let bufferSize: Int
    /// Whether shards, indexes and the directory are fsynced before renaming (default true;
    /// turn off only for scratch data and benchmarks).
    public let durable: Bool
    private let token: String
    private var writer: RecordWriter?
    private var indexSink: ByteSink?
    private var shards: [Shard] = []
    private var finished = false
    /// `directory/index`, where index files go.
    private let indexDirectory: String
    /// Whether this writer made `indexDirectory` (an aborted writer removes it again when empty).
    private var createdIndexDirectory = false

    public init(
        directory: String, name: String, split: String, sharding policy: ShardingPolicy, records: Int? = nil,
        compression: Compression = .none,
        writeIndex: Bool = true, bufferSize: Int = 1 << 20, durable: Bool = true, only: [Int]? = nil,
        staged: Bool = false
    ) throws(RecordIOError) {
        self.staged = staged
        if let problem = policy.problem { throw RecordIOError(path: directory, kind: .invalidArgument(problem)) }
        let sharding: Sharding
        switch policy {
        case .shards(let n):
            guard let records, records >= 0 else {
                throw RecordIOError(path: directory, kind: .invalidArgument("a shard count needs the split's record count"))
            }
            sharding = .shardCount(n, totalRecords: records)
            let selected = only ?? Array(0..<n)
            guard selected == selected.sorted(), Set(selected).count == selected.count,
                selected.allSatisfy({ (0..<n).contains($0) })
            else {
                throw RecordIOError(path: directory, kind: .invalidArgument("selected shards must be distinct, ascending and below \(n)"))
            }
            selectedShards = selected
        case .shardBytes(let bytes):
            guard only == nil else {
                throw RecordIOError(path: directory, kind: .invalidArgument("selecting shards needs a shard count"))
            }
            selectedShards = []
            sharding = .targetShardBytes(bytes)
        }
        guard isDirectory(directory) else {
            throw RecordIOError(path: directory, kind: .io("output directory does not exist"))
        }
        self.directory = directory
        self.name = name
        self.split = split
        self.policy = policy
        self.sharding = sharding
        self.compression = compression
        self.writesIndex = writeIndex && compression != .zlib
        self.bufferSize = bufferSize
        self.durable = durable
        var random = SystemRandomNumberGenerator()
        token = "\(getpid())-\(String(random.next() & 0xFFFF_FFFF, radix: 16))"
        indexDirectory = joinPath(directory, ShardIndex.directoryName)
        if writesIndex && !isDirectory(indexDirectory) {
            guard mkdir(indexDirectory, 0o755) == 0 || errno == EEXIST else {
                throw RecordIOError(path: indexDirectory, kind: .io(errnoMessage("mkdir")))
            }
            createdIndexDirectory = true
        }
    }

    deinit {
        if !finished { abort() }
    }

    /// `{name}-{split}.tfrecord-{index:05d}-of-{count:05d}`.
    public static func shardFileName(name: String, split: String, index: Int, count: Int) -> String {
        "\(name)-\(split).tfrecord-\(pad5(index))-of-\(pad5(count))"
    }

    private static func pad5(_ value: Int) -> String {
        let digits = String(value)
        return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
    }

    // MARK: Writing

    /// Writes one record to the current shard.
    public func write(_ payload: UnsafeRawBufferPointer) throws(RecordIOError) {
        try prepareRecord()
        try writer!.write(payload)
        try recordWritten()
    }

    /// Writes one record to the current shard.
    public func write(_ payload: [UInt8]) throws(RecordIOError) {
        try prepareRecord()
        try writer!.write(payload)
        try recordWritten()
    }

    /// Writes one record whose payload `body` produces in the shard writer's buffer (see
    /// `RecordWriter.writeRecord(capacity:_:)`).
    public func writeRecord(capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        try prepareRecord()
        try writer!.writeRecord(capacity: capacity, body)
        try recordWritten()
    }

    private func prepareRecord() throws(RecordIOError) {
        guard !finished else {
            throw RecordIOError(path: directory, kind: .invalidArgument("write after finish or abort"))
        }
        switch sharding {
        case .shardCount(let n, let total):
            while writer == nil || position >= Self.boundary(shards.last!.number + 1, n: n, total: total) {
                try closeShard()
                guard nextSelected < selectedShards.count else {
                    throw RecordIOError(
                        path: directory, recordIndex: position,
                        kind: .invalidArgument("more records than the declared total of \(total) (in the shards written here)"))
                }
                let k = selectedShards[nextSelected]
                nextSelected += 1
                position = Self.boundary(k, n: n, total: total)
                try openShard(number: k)
            }
        case .targetShardBytes:
            if writer == nil { try openShard(number: shards.count) }
        }
    }

    /// The first record of shard `k` when `total` records go to `n` shards.
    package static func boundary(_ k: Int, n: Int, total: Int) -> Int {
        Int((Int64(k) * Int64(total)) / Int64(n))
    }

    private func recordWritten() throws(RecordIOError) {
        recordsWritten += 1
        position += 1
        if indexSink != nil { try writer!.takeLocations(appendIndexLine) }
        if case .targetShardBytes(let target) = sharding, let writer, writer.bytesWritten >= target {
            try closeShard()
        }
    }

    /// Appends the index line of one record (see `ShardIndex`).
    private func appendIndexLine(_ location: RecordLocation) throws(RecordIOError) {
        guard let indexSink else { return }
        let width = ShardIndex.lineWidth(members: location.member != nil)
        let line = try indexSink.reserve(width)
        guard ShardIndex.writeLine(location, to: line) else {
            throw RecordIOError(
                path: shards.last?.tempPath ?? directory, byteOffset: location.offset,
                kind: .invalidArgument("the shard outgrows its index's columns (offsets up to 12 digits); write more shards"))
        }
        indexSink.commit(width)
    }

    // MARK: Shard life cycle

    private func openShard(number index: Int) throws(RecordIOError) {
        let baseName: String
        var finalName: String?
        switch sharding {
        case .shardCount(let n, _):
            baseName = Self.shardFileName(name: name, split: split, index: index, count: n)
            finalName = baseName
        case .targetShardBytes:
            baseName = "\(name)-\(split).tfrecord-\(Self.pad5(index))"
        }
        let firstRecord: Int
        if case .shardCount = sharding { firstRecord = position } else { firstRecord = recordsWritten }
        var shard = Shard(
            number: index, firstRecord: firstRecord, baseName: baseName, stagedName: baseName,
            tempPath: joinPath(directory, staged ? baseName : ".\(baseName).tmp-\(token)"),
            tempIndexPath: writesIndex
                ? joinPath(indexDirectory, staged ? baseName + ".index" : ".\(baseName).index.tmp-\(token)") : nil)
        if let finalName {
            shard.finalPath = nil
            shard.baseName = finalName
        }
        shards.append(shard)
        writer = try RecordWriter(
            path: shard.tempPath, compression: compression, bufferSize: bufferSize, computeSHA256: true,
            gzipMemberBytes: compression == .gzip ? Self.gzipMemberBytes : nil, keepsLocations: writesIndex)
        if let indexPath = shard.tempIndexPath {
            indexSink = try ByteSink(
                path: indexPath, compression: .none, level: 0, bufferSize: 64 << 10, hashing: false)
        }
    }

    /// Flushes, fsyncs and closes the open shard; with a shard count, renames it into place.
    private func closeShard() throws(RecordIOError) {
        guard var current = writer else { return }
        writer = nil
        let summary = try current.close(sync: durable)
        if let indexSink {
            try current.takeLocations(appendIndexLine)
            _ = try indexSink.close(sync: durable)
            self.indexSink = nil
        }
        let k = shards.count - 1
        shards[k].summary = summary
        if case .shardCount = sharding {
            try place(k, finalName: shards[k].baseName)
            try onShardPlaced?(shards[k].number, shards[k].firstRecord, shards[k].stagedName, manifest(of: shards[k]))
        }
    }

    private func manifest(of shard: Shard) -> ShardManifest {
        let summary = shard.summary!
        return ShardManifest(
            file: shard.baseName, records: summary.records, bytes: summary.fileBytes,
            sha256: summary.sha256 ?? "",
            index: shard.finalIndexPath == nil ? nil : ShardIndex.relativePath(forShard: shard.baseName))
    }

    private func place(_ k: Int, finalName: String) throws(RecordIOError) {
        if staged {
            // Complete where it is; the staging folder's commit gives it `finalName`.
            shards[k].finalPath = shards[k].tempPath
            shards[k].finalIndexPath = shards[k].tempIndexPath
            shards[k].baseName = finalName
            return
        }
        let finalPath = joinPath(directory, finalName)
        if let tempIndex = shards[k].tempIndexPath {
            let finalIndex = joinPath(directory, ShardIndex.relativePath(forShard: finalName))
            try renameFile(tempIndex, finalIndex)
            shards[k].finalIndexPath = finalIndex
        }
        try renameFile(shards[k].tempPath, finalPath)
        shards[k].finalPath = finalPath
        shards[k].baseName = finalName
    }

    /// Completes the split: closes the last shard, writes empty shards still owed (shard count) or
    /// renames all shards to their `-of-n` names (target size), syncs the directory, and returns
    /// the shards in order. An empty split gets one (empty) shard in target-size mode.
    public func finish() throws(RecordIOError) -> [ShardManifest] {
        guard !finished else {
            throw RecordIOError(path: directory, kind: .invalidArgument("finish after finish or abort"))
        }
        do throws(RecordIOError) {
            switch sharding {
            case .shardCount(let n, let total):
                // The open shard must be full, and every selected shard not opened yet empty.
                var missing = shards.last.map { Self.boundary($0.number + 1, n: n, total: total) - position } ?? 0
                for k in selectedShards[nextSelected...] {
                    missing += Self.boundary(k + 1, n: n, total: total) - Self.boundary(k, n: n, total: total)
                }
                guard missing == 0 else {
                    throw RecordIOError(
                        path: directory,
                        kind: .invalidArgument("\(recordsWritten) records written, \(recordsWritten + missing) declared"))
                }
                try closeShard()
                while nextSelected < selectedShards.count {
                    position = Self.boundary(selectedShards[nextSelected], n: n, total: total)
                    try openShard(number: selectedShards[nextSelected])
                    nextSelected += 1
                    try closeShard()
                }
            case .targetShardBytes:
                try closeShard()
                if shards.isEmpty {
                    try openShard(number: 0)
                    try closeShard()
                }
                let n = shards.count
                for k in 0..<n {
                    try place(k, finalName: Self.shardFileName(name: name, split: split, index: k, count: n))
                    try onShardPlaced?(k, shards[k].firstRecord, shards[k].stagedName, manifest(of: shards[k]))
                }
            }
        } catch {
            abort()
            throw error
        }
        if durable {
            if writesIndex { syncDirectory(indexDirectory) }
            syncDirectory(directory)
        }
        finished = true
        return shards.map(manifest(of:))
    }

    /// Stops writing and removes every file this writer created, temporary or already in place
    /// (or, with `keepingPlacedShards`, the temporary ones only: complete shards stay).
    public func abort(keepingPlacedShards: Bool = false) {
        writer = nil
        indexSink = nil
        for shard in shards {
            removeFileQuietly(shard.tempPath)
            if let path = shard.tempIndexPath { removeFileQuietly(path) }
            if keepingPlacedShards { continue }
            if let path = shard.finalPath { removeFileQuietly(path) }
            if let path = shard.finalIndexPath { removeFileQuietly(path) }
        }
        shards.removeAll()
        if createdIndexDirectory { _ = rmdir(indexDirectory) }  // only when empty
        finished = true
    }
}
