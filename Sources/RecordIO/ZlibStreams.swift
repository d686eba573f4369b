import CZlib

/// zlib's deflate over a streaming output buffer. Owns its `z_stream`; the corresponding C
/// functions are `deflateInit2_`, `deflate` and `deflateEnd`.
final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawPointer
    private let outputCapacity = 256 << 10
    let path: String

    /// `compression` must be `.gzip` (gzip member) or `.zlib` (RFC 1950 stream).
    init(compression: Compression, level: Int32, path: String) throws(RecordIOError) {
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: outputCapacity, alignment: 64)
        let windowBits: Int32 = compression == .gzip ? 15 + 16 : 15
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw RecordIOError(path: path, kind: .compression("deflateInit2 failed with status \(status)"))
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses `count` bytes, handing each full output buffer to `sink`; with `finish`, ends the
    /// stream (trailer included).
    func compress(
        _ bytes: UnsafeRawPointer?, count: Int, finish: Bool,
        sink: (UnsafeRawPointer, Int) throws(RecordIOError) -> Void
    ) throws(RecordIOError) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(count)
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        while true {
            stream.pointee.next_out = output.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(outputCapacity)
            let status = deflate(stream, flush)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw RecordIOError(path: path, kind: .compression("deflate failed with status \(status)"))
            }
            let produced = outputCapacity - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(output, produced) }
            if finish {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                return
            }
        }
    }
}

/// zlib's inflate over a file: fills caller buffers with decompressed bytes. Accepts gzip files of
/// several members (as `gzip -d` does). The corresponding C functions are `inflateInit2_`,
/// `inflate`, `inflateReset` and `inflateEnd`.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawPointer
    private let inputCapacity = 256 << 10
    private let file: ReadableFile
    private let compression: Compression
    private var inputEnded = false
    private var streamEnded = false
    private var compressedBytesRead: Int64 = 0

    init(file: ReadableFile, compression: Compression) throws(RecordIOError) {
        self.file = file
        self.compression = compression
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: inputCapacity, alignment: 64)
        let windowBits: Int32 = compression == .gzip ? 15 + 16 : 15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw RecordIOError(path: file.path, kind: .compression("inflateInit2 failed with status \(status)"))
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    private func refill() throws(RecordIOError) {
        let n = try file.read(into: input, count: inputCapacity)
        if n == 0 {
            inputEnded = true
        } else {
            compressedBytesRead += Int64(n)
        }
        stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(n)
    }

    private func failure(_ reason: String) -> RecordIOError {
        RecordIOError(path: file.path, kind: .compression(reason))
    }

    /// Decompresses into `buffer`, returning the number of bytes produced; 0 only at the end of
    /// the compressed data. Throws when the stream is damaged or ends before its trailer.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(RecordIOError) -> Int {
        let name = compression == .gzip ? "gzip" : "zlib"
        stream.pointee.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(clamping: count)
        let requested = Int(stream.pointee.avail_out)
        while Int(stream.pointee.avail_out) == requested {
            if stream.pointee.avail_in == 0 && !inputEnded { try refill() }
            if streamEnded {
                if stream.pointee.avail_in == 0 && inputEnded { return 0 }
                guard compression == .gzip else {
                    throw failure("unexpected bytes after the end of the zlib stream")
                }
                inflateReset(stream)  // another gzip member follows
                streamEnded = false
                continue
            }
            if stream.pointee.avail_in == 0 && inputEnded && compressedBytesRead == 0 {
                return 0  // an empty file: zero records
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                streamEnded = true
            case Z_BUF_ERROR:
                if stream.pointee.avail_in == 0 && inputEnded {
                    throw failure(
                        "\(name) stream cut short: the file ends after \(compressedBytesRead) compressed bytes, "
                            + "before the end of the stream")
                }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw failure("\(name) data error: \(message)")
            }
        }
        return requested - Int(stream.pointee.avail_out)
    }
}
