/// Where a record sits in the uncompressed framed stream: `offset` is the first byte of its 8-byte
/// length field, `length` is 16 + payload length (the convention of DALI's `tfrecord2idx` and the
/// `tfrecord` Python package's index files). In a GZIP file written as a sequence of members,
/// `member` says which member holds the record, so that it can be read by inflating that member
/// alone.
public struct RecordLocation: Sendable, Equatable {
    public var offset: Int64
    public var length: Int64
    public var member: GzipMemberPosition?

    public init(offset: Int64, length: Int64, member: GzipMemberPosition? = nil) {
        self.offset = offset
        self.length = length
        self.member = member
    }
}

/// Where a record sits in a GZIP file made of several gzip members, each holding whole records.
public struct GzipMemberPosition: Sendable, Equatable {
    /// Byte offset of the member's first byte (its gzip header) in the file.
    public var fileOffset: Int64
    /// Offset of the record's first byte in the member's decompressed data.
    public var offsetInMember: Int64

    public init(fileOffset: Int64, offsetInMember: Int64) {
        self.fileOffset = fileOffset
        self.offsetInMember = offsetInMember
    }
}

/// What a closed `RecordWriter` wrote.
public struct RecordFileSummary: Sendable, Equatable {
    public var path: String
    public var records: Int
    /// Size of the file on disk (compressed size for compressed files).
    public var fileBytes: Int64
    /// Size of the framed stream (equal to `fileBytes` when uncompressed).
    public var streamBytes: Int64
    /// SHA-256 of the file's bytes (hex), when the writer was created with `computeSHA256`.
    public var sha256: String?
}

/// Writes TFRecord files: per record an 8-byte little-endian length, the masked CRC-32C of those
/// 8 bytes, the payload, and the masked CRC-32C of the payload. Records are staged in a large
/// buffer (1 MiB by default) and reach the file with few `write(2)` calls; with `.gzip` or `.zlib`
/// the whole framed stream goes through deflate.
///
/// With `.gzip` and `gzipMemberBytes`, the file is a sequence of complete gzip members, each
/// holding whole records: a member is closed before the next record once it holds at least that
/// many uncompressed bytes, so records never straddle members. Readers of GZIP TFRecord files
/// (TensorFlow, Python's `gzip`, `gzip -d`) read concatenated members as one stream; a reader with
/// an index can inflate the one member it needs. `takeLocations(_:)` hands out each record's
/// location with its member once the member's file offset is known.
///
/// A `RecordWriter` shares its file among copies: use one copy. Call `close()` to finish the file;
/// a writer dropped without `close()` closes its descriptor without writing out its buffer.
public struct RecordWriter {
    /// The framing's bytes per record besides the payload.
    public static let overhead = 16

    private let sink: ByteSink
    public let path: String
    public let compression: Compression
    /// Records written so far.
    public private(set) var recordCount = 0
    /// With `.gzip`: the uncompressed bytes after which a member is closed (nil: one member).
    public let gzipMemberBytes: Int?
    /// The ordinal of the gzip member being written, and the stream offset where it began.
    private var member = (ordinal: 0, streamStart: Int64(0))
    /// With `keepsLocations`: locations not yet handed out, with their member ordinal, in order;
    /// bounded by the records of the member being written and of the buffers in flight.
    private var pending: [(location: RecordLocation, member: Int, offsetInMember: Int64)] = []
    private var pendingHead = 0
    private let keepsLocations: Bool

    /// Creates (or truncates) the file at `path`.
    /// - Parameters:
    ///   - compressionLevel: zlib level 0–9 for `.gzip`/`.zlib` (default 6, zlib's default).
    ///   - computeSHA256: hash the file's bytes as they are written (see `RecordFileSummary`).
    ///   - gzipMemberBytes: with `.gzip`, close a member once it holds this many uncompressed
    ///     bytes (see the type's documentation); nil writes one member.
    ///   - keepsLocations: keep every record's location for `takeLocations(_:)`.
    public init(
        path: String, compression: Compression = .none, bufferSize: Int = 1 << 20, compressionLevel: Int = 6,
        computeSHA256: Bool = false, gzipMemberBytes: Int? = nil, keepsLocations: Bool = false
    ) throws(RecordIOError) {
        if let gzipMemberBytes, compression != .gzip || gzipMemberBytes <= 0 {
            throw RecordIOError(
                path: path,
                kind: .invalidArgument("gzip members need .gzip compression and a positive size, not \(compression) and \(gzipMemberBytes)"))
        }
        self.path = path
        self.compression = compression
        self.gzipMemberBytes = gzipMemberBytes
        self.keepsLocations = keepsLocations
        sink = try ByteSink(
            path: path, compression: compression, level: Int32(compressionLevel), bufferSize: bufferSize,
            hashing: computeSHA256)
    }

    /// Bytes of framed stream written so far (before compression), including buffered bytes.
    public var bytesWritten: Int64 { sink.streamBytes }

    /// Closes the current gzip member before the next record once it is full.
    @inline(__always)
    private mutating func startRecord() {
        if let gzipMemberBytes, sink.streamBytes - member.streamStart >= Int64(gzipMemberBytes) {
            sink.endMember()
            member = (member.ordinal + 1, sink.streamBytes)
        }
    }

    /// Counts a record written at `offset` with `n` payload bytes and returns its location.
    @inline(__always)
    private mutating func recordWritten(at offset: Int64, payloadBytes n: Int) -> RecordLocation {
        recordCount += 1
        let location = RecordLocation(offset: offset, length: Int64(n + Self.overhead))
        if keepsLocations { pending.append((location, member.ordinal, offset - member.streamStart)) }
        return location
    }

    /// Hands out, in order, the kept locations (`keepsLocations`) that are complete: at once for
    /// plain and single-member files; for members, with `member` filled in as soon as the
    /// background compression has put the member before it into the file. After `close()` every
    /// location is complete.
    public mutating func takeLocations(_ body: (RecordLocation) throws(RecordIOError) -> Void) throws(RecordIOError) {
        while pendingHead < pending.count {
            var (location, ordinal, offsetInMember) = pending[pendingHead]
            if gzipMemberBytes != nil {
                guard let start = sink.memberStart(ordinal) else { break }
                location.member = GzipMemberPosition(fileOffset: start, offsetInMember: offsetInMember)
            }
            pendingHead += 1
            try body(location)
        }
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        } else if pendingHead >= 4096 && pendingHead * 2 >= pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    /// Writes one record.
    @discardableResult
    public mutating func write(_ payload: UnsafeRawBufferPointer) throws(RecordIOError) -> RecordLocation {
        startRecord()
        let n = payload.count
        let offset = sink.streamBytes
        let frame = try sink.reserve(n + Self.overhead)
        Framing.storeHeader(frame, length: n)
        if let base = payload.baseAddress, n > 0 {
            (frame + 12).copyMemory(from: base, byteCount: n)
        }
        Framing.storeFooter(frame, length: n)
        sink.commit(n + Self.overhead)
        return recordWritten(at: offset, payloadBytes: n)
    }

    /// Writes one record.
    @discardableResult
    public mutating func write(_ payload: [UInt8]) throws(RecordIOError) -> RecordLocation {
        startRecord()
        let n = payload.count
        let offset = sink.streamBytes
        let frame = try sink.reserve(n + Self.overhead)
        Framing.storeHeader(frame, length: n)
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, n > 0 { (frame + 12).copyMemory(from: base, byteCount: n) }
        }
        Framing.storeFooter(frame, length: n)
        sink.commit(n + Self.overhead)
        return recordWritten(at: offset, payloadBytes: n)
    }

    /// Writes one record whose payload `body` produces directly in the writer's buffer, with no
    /// extra copy. `body` gets `capacity` writable bytes and returns how many it used (≤ capacity).
    @discardableResult
    public mutating func writeRecord(
        capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> RecordLocation {
        precondition(capacity >= 0, "negative capacity")
        startRecord()
        let offset = sink.streamBytes
        let frame = try sink.reserve(capacity + Self.overhead)
        let n = try body(UnsafeMutableRawBufferPointer(start: frame + 12, count: capacity))
        guard n >= 0 && n <= capacity else {
            throw RecordIOError(
                path: path, recordIndex: recordCount, byteOffset: offset,
                kind: .invalidArgument("writeRecord body returned \(n) bytes for a capacity of \(capacity)"))
        }
        Framing.storeHeader(frame, length: n)
        Framing.storeFooter(frame, length: n)
        sink.commit(n + Self.overhead)
        return recordWritten(at: offset, payloadBytes: n)
    }

    /// Hands buffered bytes to the file (compressed output may stay in deflate until `close`).
    public mutating func flush() throws(RecordIOError) { try sink.flush() }

    /// Writes out everything, ends the compressed stream, optionally `fsync`s, and closes the file.
    @discardableResult
    public mutating func close(sync: Bool = false) throws(RecordIOError) -> RecordFileSummary {
        let digest = try sink.close(sync: sync)
        return RecordFileSummary(
            path: path, records: recordCount, fileBytes: sink.fileBytes, streamBytes: sink.streamBytes,
            sha256: digest)
    }
}

/// The byte layout of one record.
enum Framing {
    static let headerSize = 12

    /// Stores the length and its masked CRC at `frame`.
    @inline(__always)
    static func storeHeader(_ frame: UnsafeMutableRawPointer, length: Int) {
        frame.storeBytes(of: UInt64(length).littleEndian, toByteOffset: 0, as: UInt64.self)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: frame, count: 8))
        frame.storeBytes(of: CRC32C.mask(crc).littleEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// Stores the masked CRC of the payload at `frame + 12` after it.
    @inline(__always)
    static func storeFooter(_ frame: UnsafeMutableRawPointer, length: Int) {
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: frame + 12, count: length))
        frame.storeBytes(of: CRC32C.mask(crc).littleEndian, toByteOffset: 12 + length, as: UInt32.self)
    }

    /// The stored (unmasked) and computed CRC of the 8 length bytes at `header` when they differ.
    @inline(__always)
    static func lengthChecksumMismatch(_ header: UnsafeRawPointer) -> (stored: UInt32, computed: UInt32)? {
        let stored = CRC32C.unmask(loadUInt32(header, 8))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: header, count: 8))
        return stored == computed ? nil : (stored, computed)
    }

    /// The stored (unmasked) and computed CRC of the `length`-byte payload of the record at `frame`
    /// when they differ.
    @inline(__always)
    static func payloadChecksumMismatch(_ frame: UnsafeRawPointer, length: Int) -> (stored: UInt32, computed: UInt32)? {
        let stored = CRC32C.unmask(loadUInt32(frame, headerSize + length))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: frame + headerSize, count: length))
        return stored == computed ? nil : (stored, computed)
    }

    @inline(__always)
    static func loadUInt64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    static func loadUInt32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
