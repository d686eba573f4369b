import CShardKitZlib

/// zlib's deflate over a streaming output buffer. Owns its `z_stream`; the corresponding C
/// functions are `deflateInit2_`, `deflate`, `deflateReset` and `deflateEnd`.
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

    /// Starts a new stream with the same settings after `compress(finish: true)` ended one: for
    /// gzip, the next bytes open a new member with its own header.
    func reset() throws(RecordIOError) {
        let status = deflateReset(stream)
        guard status == Z_OK else {
            throw RecordIOError(path: path, kind: .compression("deflateReset failed with status \(status)"))
        }
    }
}

/// zlib's message for a failed call, or the status when zlib gave none.
private func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, _ status: Int32) -> String {
    stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
}

/// Where one gzip member of a file begins: its first byte in the file, and the offset of its first
/// decompressed byte in the file's whole decompressed stream.
package struct GzipMemberStart: Sendable, Equatable {
    package var fileOffset: Int64
    package var streamOffset: Int64
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
    /// Decompressed bytes handed out so far.
    private var producedBytes: Int64 = 0
    private let tracksMembers: Bool
    /// With `tracksMembers`, where each gzip member met so far begins (the first at 0, 0); one entry
    /// per member, so memory grows with the member count, not the record count.
    private(set) var memberStarts: [GzipMemberStart] = []

    init(file: ReadableFile, compression: Compression, tracksMembers: Bool = false) throws(RecordIOError) {
        self.file = file
        self.compression = compression
        self.tracksMembers = tracksMembers && compression == .gzip
        if self.tracksMembers { memberStarts.append(GzipMemberStart(fileOffset: 0, streamOffset: 0)) }
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
                if tracksMembers {
                    // Nothing was produced yet in this call (the loop stops at the first output).
                    memberStarts.append(
                        GzipMemberStart(
                            fileOffset: compressedBytesRead - Int64(stream.pointee.avail_in), streamOffset: producedBytes))
                }
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
                throw failure("\(name) data error: \(zlibMessage(stream, status))")
            }
        }
        let produced = requested - Int(stream.pointee.avail_out)
        producedBytes += Int64(produced)
        return produced
    }
}

/// Inflates a piece of one gzip member of a file, without reading what comes before the member:
/// the random access that a GZIP TFRecord file written as a sequence of members allows. The
/// corresponding C functions are `inflateInit2_`, `inflate` and `inflateEnd`.
enum MemberInflater {
    /// Skips the first `skip` decompressed bytes of the gzip member that starts at byte
    /// `memberOffset` of `file`, then decompresses the next `count` bytes into `output`. Reads the
    /// compressed data in 64 KiB pieces from the member's start and stops as soon as `output` is
    /// full, so the cost is the member's bytes up to `skip + count`, never the whole file.
    /// `place` describes the record wanted, for errors (record index and stream offset).
    static func read(
        _ file: ReadableFile, memberAt memberOffset: Int64, skip: Int64, into output: UnsafeMutableRawPointer,
        count: Int, recordIndex: Int?, streamOffset: Int64
    ) throws(RecordIOError) {
        func failure(_ reason: String) -> RecordIOError {
            RecordIOError(
                path: file.path, recordIndex: recordIndex, byteOffset: streamOffset,
                kind: .compression("gzip member at byte \(memberOffset): \(reason)"))
        }
        let pieceSize = 64 << 10
        let piece = UnsafeMutableRawPointer.allocate(byteCount: pieceSize, alignment: 64)
        let discard = UnsafeMutableRawPointer.allocate(byteCount: pieceSize, alignment: 64)
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            piece.deallocate()
            discard.deallocate()
            stream.deallocate()
        }
        let initStatus = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw failure("inflateInit2 failed with status \(initStatus)") }
        defer { inflateEnd(stream) }
        var position = memberOffset
        var skipLeft = skip
        var filled = 0
        var first = true
        while filled < count {
            if stream.pointee.avail_in == 0 {
                let n = try file.read(into: piece, count: pieceSize, at: position)
                guard n > 0 else { throw failure("the file ends inside the member (at byte \(position))") }
                if first {
                    first = false
                    let magic = piece.load(as: UInt8.self) == 0x1F && (n < 2 || piece.load(fromByteOffset: 1, as: UInt8.self) == 0x8B)
                    guard magic else { throw failure("no gzip member starts there") }
                }
                position += Int64(n)
                stream.pointee.next_in = piece.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(n)
            }
            let skipping = skipLeft > 0
            let room = skipping ? Int(min(Int64(pieceSize), skipLeft)) : count - filled
            stream.pointee.next_out = (skipping ? discard : output + filled).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(clamping: room)
            let offered = Int(stream.pointee.avail_out)
            let status = inflate(stream, Z_NO_FLUSH)
            let produced = offered - Int(stream.pointee.avail_out)
            if skipping { skipLeft -= Int64(produced) } else { filled += produced }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                if skipLeft > 0 || filled < count {
                    throw failure(
                        "the member ends after \(skip - skipLeft + Int64(filled)) decompressed bytes, before the "
                            + "record's end at \(skip + Int64(count))")
                }
            default:
                throw failure("gzip data error: \(zlibMessage(stream, status))")
            }
        }
    }
}
