internal import ShardKitSupport

/// Where a `ByteInput` gets its bytes: a plain file or a decompressed gzip stream.
protocol ChunkSource: AnyObject {
    /// Fills the front of `buffer`; returns the byte count, 0 only at the end of the data.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int
    /// Called once `fill` returned 0: throws if the data ended somewhere it must not (a gzip
    /// stream without its end marker). `position` is the decompressed byte count so far.
    func checkCleanEnd(position: Int) throws(FormatError)
    /// The total size of the data when known before reading (plain files), else `nil`.
    var knownSize: Int? { get }
    /// A phrase for a short read: "file ends" or "gzip stream ends early".
    var endPhrase: String { get }
    /// Moves `count` bytes ahead without handing them out, when the source can (a plain file:
    /// a seek); false when it must read them (a gzip stream).
    func seek(by count: Int) -> Bool
}

extension ChunkSource {
    func seek(by count: Int) -> Bool { false }
}

/// A file on disk as a `ChunkSource`: ShardKitSupport's `ReadOnlyFile` (the one file-reading
/// layer), its failures as `FormatError`s (a file that is not there is `.missingFile`).
final class FileSource: ChunkSource {
    let path: String
    private let file: ReadOnlyFile
    let knownSize: Int?

    init(path: String) throws(FormatError) {
        self.path = path
        do {
            file = try ReadOnlyFile(path: path)
        } catch {
            throw FormatError(error.isMissingFile ? .missingFile : .io, path: path, "cannot open: \(error.reason)")
        }
        knownSize = file.isRegularFile ? Int(file.size) : nil
    }

    var endPhrase: String { "file ends" }

    func seek(by count: Int) -> Bool { file.seek(by: count) }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        do {
            return try file.read(into: base, count: buffer.count)
        } catch {
            throw FormatError(.io, path: path, "read failed: \(error.reason)")
        }
    }

    func checkCleanEnd(position: Int) throws(FormatError) {}

    /// Reads into `buffer` from byte `offset` without moving the file position (so several
    /// windows of one file can be read side by side); returns the byte count, fewer than asked
    /// only at the end of the file.
    func fill(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FormatError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        do {
            return try file.read(into: base, count: buffer.count, at: Int64(offset))
        } catch {
            throw FormatError(.io, path: path, offset: offset, "read failed: \(error.reason)")
        }
    }
}

/// Buffered, position-counting reads over a `ChunkSource`. `read(_:)` returns fewer bytes than
/// asked only at the end of the data; callers turn a short read into a `.truncated` error.
final class ByteInput {
    let path: String
    private let source: any ChunkSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var exhausted = false
    /// Bytes handed out so far: the offset of the next byte in the (decompressed) data.
    private(set) var position = 0

    /// Opens `path`, choosing gzip decompression when the file starts with 1F 8B (not by its name).
    /// With `digests`, the file's bytes are hashed as they are read (`InputDigests`).
    convenience init(path: String, bufferSize: Int = 1 << 16, digests: InputDigests? = nil) throws(FormatError) {
        let opened = try FileSource(path: path)
        let file: any ChunkSource = digests.map { HashingFileSource(file: opened, digests: $0) } ?? opened
        try self.init(path: path, sniffing: file, bufferSize: bufferSize)
    }

    /// Reads `file` (a plain file, or an archive entry as stored), choosing gzip decompression
    /// when its data start with 1F 8B; `path` names it in errors.
    init(path: String, sniffing file: any ChunkSource, bufferSize: Int = 1 << 16) throws(FormatError) {
        self.path = path
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        // Sniff two bytes; a plain file keeps them as the start of its data.
        var sniffed = 0
        while sniffed < 2 {
            let n = try file.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[sniffed..<bufferSize]))
            if n == 0 { break }
            sniffed += n
        }
        if sniffed >= 2 && buffer[0] == 0x1F && buffer[1] == 0x8B {
            let prefix = Array(buffer[0..<sniffed])
            source = try InflateSource(upstream: file, path: path, prefix: prefix, wrapper: .gzip)
        } else {
            source = file
            end = sniffed
            if sniffed == 0 { exhausted = true }
        }
    }

    /// Reads `source` as it comes (no sniffing), e.g. a window of a file or a zlib stream inside
    /// it; `path` names the file in errors.
    init(path: String, source: any ChunkSource, bufferSize: Int = 1 << 16) {
        self.path = path
        self.source = source
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    var isCompressed: Bool { source is InflateSource }
    /// Total data size when known up front (plain files and file windows).
    var knownSize: Int? { source.knownSize }
    /// How a short read is described: "gzip stream ends early" when the gzip stream was cut,
    /// else "file ends".
    var endPhrase: String { pendingEndError == nil ? "file ends" : source.endPhrase }
    /// A gzip stream that stopped without its end marker; thrown by `drainRemaining`.
    private var pendingEndError: FormatError?
    /// Whether the data ended because a compressed stream stopped without its end marker (as
    /// opposed to a clean end of the data).
    var endedWithoutEndMarker: Bool { pendingEndError != nil }

    private func refill() throws(FormatError) {
        guard !exhausted else { return }
        start = 0
        end = try source.fill(buffer)
        if end == 0 {
            exhausted = true
            do {
                try source.checkCleanEnd(position: position)
            } catch {
                pendingEndError = error
            }
        }
    }

    /// Copies up to `destination.count` bytes; returns how many (fewer only at the end).
    func read(into destination: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        var copied = 0
        while copied < destination.count {
            if start == end {
                try refill()
                if start == end { break }
            }
            let n = min(end - start, destination.count - copied)
            destination.baseAddress!.advanced(by: copied).copyMemory(
                from: buffer.baseAddress!.advanced(by: start), byteCount: n)
            start += n
            copied += n
        }
        position += copied
        return copied
    }

    /// Moves `count` bytes ahead without copying them: a seek in a plain file (no read at all),
    /// reading and dropping them in a gzip stream. Returns how many were skipped (fewer only at
    /// the end of a stream; a seek past the end of a plain file shows at the next read).
    func skip(count: Int) throws(FormatError) -> Int {
        let buffered = min(count, end - start)
        start += buffered
        position += buffered
        var rest = count - buffered
        if rest > 0, let size = knownSize, source.seek(by: rest) {
            // The file size is known: a skip past the end counts only what was there.
            let skipped = min(rest, max(0, size - position))
            position += rest
            rest -= skipped
            return count - rest
        }
        while rest > 0 {
            if start == end {
                try refill()
                if start == end { break }
            }
            let n = min(end - start, rest)
            start += n
            position += n
            rest -= n
        }
        return count - rest
    }

    /// Reads `count` bytes into a new array (shorter only at the end of the data).
    func read(count: Int) throws(FormatError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try typed { try bytes.withUnsafeMutableBytes { try read(into: $0) } }
        if n < count { bytes.removeSubrange(n...) }
        return bytes
    }

    /// Reads to the end of the data, returning how many bytes were left (0 for a clean end).
    /// Also surfaces a gzip stream that ends without its trailer.
    func drainRemaining() throws(FormatError) -> Int {
        var total = 0
        while true {
            if start == end {
                try refill()
                if start == end {
                    if let error = pendingEndError { throw error }
                    return total
                }
            }
            total += end - start
            position += end - start
            start = end
        }
    }
}
