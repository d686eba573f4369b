/// Where a record sits in the uncompressed framed stream: `offset` is the first byte of its 8-byte
/// length field, `length` is 16 + payload length (the convention of DALI's `tfrecord2idx` and the
/// `tfrecord` Python package's index files).
public struct RecordLocation: Sendable, Equatable {
    public var offset: Int64
    public var length: Int64

    public init(offset: Int64, length: Int64) {
        self.offset = offset
        self.length = length
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

    /// Creates (or truncates) the file at `path`.
    /// - Parameters:
    ///   - compressionLevel: zlib level 0–9 for `.gzip`/`.zlib` (default 6, zlib's default).
    ///   - computeSHA256: hash the file's bytes as they are written (see `RecordFileSummary`).
    public init(
        path: String, compression: Compression = .none, bufferSize: Int = 1 << 20, compressionLevel: Int = 6,
        computeSHA256: Bool = false
    ) throws(RecordIOError) {
        self.path = path
        self.compression = compression
        sink = try ByteSink(
            path: path, compression: compression, level: Int32(compressionLevel), bufferSize: bufferSize,
            hashing: computeSHA256)
    }

    /// Bytes of framed stream written so far (before compression), including buffered bytes.
    public var bytesWritten: Int64 { sink.streamBytes }

    /// Writes one record.
    @discardableResult
    public mutating func write(_ payload: UnsafeRawBufferPointer) throws(RecordIOError) -> RecordLocation {
        let n = payload.count
        let offset = sink.streamBytes
        let frame = try sink.reserve(n + Self.overhead)
        Framing.storeHeader(frame, length: n)
        if let base = payload.baseAddress, n > 0 {
            (frame + 12).copyMemory(from: base, byteCount: n)
        }
        Framing.storeFooter(frame, length: n)
        sink.commit(n + Self.overhead)
        recordCount += 1
        return RecordLocation(offset: offset, length: Int64(n + Self.overhead))
    }

    /// Writes one record.
    @discardableResult
    public mutating func write(_ payload: [UInt8]) throws(RecordIOError) -> RecordLocation {
        let n = payload.count
        let offset = sink.streamBytes
        let frame = try sink.reserve(n + Self.overhead)
        Framing.storeHeader(frame, length: n)
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, n > 0 { (frame + 12).copyMemory(from: base, byteCount: n) }
        }
        Framing.storeFooter(frame, length: n)
        sink.commit(n + Self.overhead)
        recordCount += 1
        return RecordLocation(offset: offset, length: Int64(n + Self.overhead))
    }

    /// Writes one record whose payload `body` produces directly in the writer's buffer, with no
    /// extra copy. `body` gets `capacity` writable bytes and returns how many it used (≤ capacity).
    @discardableResult
    public mutating func writeRecord(
        capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> RecordLocation {
        precondition(capacity >= 0, "negative capacity")
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
        recordCount += 1
        return RecordLocation(offset: offset, length: Int64(n + Self.overhead))
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

    @inline(__always)
    static func loadUInt64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    static func loadUInt32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
