internal import Foundation
internal import RecordIO

/// The SHA-256 of every input file a conversion reads, computed from the bytes as the readers
/// read them, so that a file read once from start to end is hashed without a second read.
///
/// Each file keeps a running hash of its prefix read so far in order: bytes read at the end of
/// that prefix extend it; bytes read elsewhere (a seek ahead, a second reader of the same file
/// starting again at 0) are not hashed twice and not hashed out of order. `finish()` then reads
/// only what no reader read in order (a worker that stopped early, a file libhdf5 read, a zip
/// entry that was skipped by seeking) and returns the digests. Thread-safe: encoding workers
/// may report what they read too.
public final class InputDigests: @unchecked Sendable {
    /// One input file's digest.
    public struct Digest: Sendable, Equatable {
        /// The file as it was registered.
        public var path: String
        /// Its size in bytes when it was finished.
        public var size: Int
        /// 64 lowercase hex digits.
        public var sha256: String
        /// How many of its bytes `finish()` had to read because no reader read them in order
        /// (0 when the conversion read the whole file from start to end).
        public var readAgain: Int
    }

    /// The hash of one file's prefix `0..<frontier`.
    private final class Running {
        let hasher = SHA256Hasher()
        var frontier = 0
    }

    private let lock = NSLock()
    private var running: [String: Running] = [:]
    private var finished: [String: Digest] = [:]

    /// No file registered yet.
    public init() {}

    /// Makes sure `path` is hashed by `finish()`, also when no reader reads it through this
    /// object (files libhdf5 opens itself, PNGs read whole by the encoding workers).
    public func register(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        if running[path] == nil && finished[path] == nil { running[path] = Running() }
    }

    /// The files registered so far, in no particular order.
    public var paths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return Array(running.keys) + Array(finished.keys)
    }

    /// Bytes a reader read from `path` at `offset`: the part that continues the hashed prefix
    /// is hashed, the rest ignored.
    func observe(_ path: String, offset: Int, _ bytes: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        guard finished[path] == nil else { return }
        let state: Running
        if let known = running[path] {
            state = known
        } else {
            state = Running()
            running[path] = state
        }
        let end = offset + bytes.count
        guard offset <= state.frontier, end > state.frontier, let base = bytes.baseAddress else { return }
        state.hasher.update(base + (state.frontier - offset), count: end - state.frontier)
        state.frontier = end
    }

    /// Hashes what no reader read in order, from each file's hashed prefix to its end, and
    /// returns the digests by path: of `paths` (every registered file when nil). Files finished
    /// before are not read again. `onlyIfUnreadBelow` leaves a file unfinished when more than
    /// that many of its bytes would have to be read (a check that should cost nothing).
    public func finish(_ paths: [String]? = nil, onlyIfUnreadBelow limit: Int = .max) throws(FormatError)
        -> [String: Digest]
    {
        lock.lock()
        defer { lock.unlock() }
        let wanted = paths.map(Set.init)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 64)
        defer { buffer.deallocate() }
        for (path, state) in running.sorted(by: { $0.key < $1.key }) where wanted?.contains(path) ?? true {
            let file = try Self.regularFile(path)
            let size = file.knownSize!
            guard size - state.frontier < limit else { continue }
            var hasher = state.hasher
            var start = state.frontier
            if start > size {
                // The file shrank after it was read: hash it as it is now.
                hasher = SHA256Hasher()
                start = 0
            }
            let end = try Self.hash(file, from: start, to: size, into: hasher, buffer: buffer)
            finished[path] = Digest(path: path, size: end, sha256: hasher.finalizeHex(), readAgain: end - start)
            running[path] = nil
        }
        guard let wanted else { return finished }
        return finished.filter { wanted.contains($0.key) }
    }

    /// The SHA-256 of the `sha256sum` listing of the files `names` in `folder`, in the order
    /// given: of the text `<hex>  <name>\n` per file, as `sha256sum NAMES | sha256sum` gives it.
    /// Each file is hashed and its line added to the listing's hash before the next one is
    /// opened, so memory does not grow with the number of files (SVHN's PNG folders, up to
    /// 202,353 files). The files are not registered here and get no digest of their own.
    public static func listingSHA256(folder: String, names: [String]) throws(FormatError) -> String {
        let listing = SHA256Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        for name in names {
            let file = try regularFile(folder + "/" + name)
            let hasher = SHA256Hasher()
            _ = try hash(file, from: 0, to: file.knownSize!, into: hasher, buffer: buffer)
            var line = Array(hasher.finalizeHex().utf8)
            line.append(contentsOf: "  ".utf8)
            line.append(contentsOf: name.utf8)
            line.append(UInt8(ascii: "\n"))
            line.withUnsafeBytes { listing.update($0.baseAddress!, count: $0.count) }
        }
        return listing.finalizeHex()
    }

    /// Bytes read per `pread` when hashing what no reader read.
    private static let chunk = 1 << 20

    /// `path` opened, when it is a regular file (whose size is known); else an `.io` error.
    private static func regularFile(_ path: String) throws(FormatError) -> FileSource {
        let file = try FileSource(path: path)
        guard file.knownSize != nil else {
            throw FormatError(.io, path: path, "not a regular file: cannot hash it")
        }
        return file
    }

    /// Hashes `file`'s bytes from `start` up to `size` (or its end, if it shrank) into `hasher`;
    /// returns the offset reached.
    private static func hash(
        _ file: FileSource, from start: Int, to size: Int, into hasher: SHA256Hasher,
        buffer: UnsafeMutableRawBufferPointer
    ) throws(FormatError) -> Int {
        var offset = start
        while offset < size {
            let n = try file.fill(buffer, at: offset)
            if n == 0 { break }
            hasher.update(buffer.baseAddress!, count: n)
            offset += n
        }
        return offset
    }
}

/// A `FileSource` whose bytes also go to an `InputDigests` as they are read: the wrapper that
/// hashes plain input files (idx, CIFAR batches, .gnt) while the readers stream them.
final class HashingFileSource: ChunkSource {
    private let file: FileSource
    private let digests: InputDigests
    /// The file offset of the next `fill`.
    private var offset = 0

    init(file: FileSource, digests: InputDigests) {
        self.file = file
        self.digests = digests
        digests.register(file.path)
    }

    var knownSize: Int? { file.knownSize }
    var endPhrase: String { file.endPhrase }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        let n = try file.fill(buffer)
        digests.observe(file.path, offset: offset, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        offset += n
        return n
    }

    func checkCleanEnd(position: Int) throws(FormatError) {
        try file.checkCleanEnd(position: position)
    }

    func seek(by count: Int) -> Bool {
        guard file.seek(by: count) else { return false }
        offset += count
        return true
    }
}
