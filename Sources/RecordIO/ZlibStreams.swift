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

/// The one inflater of ShardKit: zlib's `inflate` with its own input buffer, fed by a caller's
/// `refill` (a file, a window of one, an archive entry), so that RecordIO's TFRecord reading and
/// Formats' readers of raw files share it, each turning its outcomes into its own errors. Owns its
/// `z_stream` (on the heap: zlib keeps a pointer to it); the corresponding C functions are
/// `inflateInit2_`, `inflate`, `inflateReset` and `inflateEnd`.
package final class InflateStream {
    /// The wrapper around the deflate data; zlib checks its checksum at the end of the stream.
    package enum Wrapper: Sendable {
        /// RFC 1952 gzip (windowBits 15+16: CRC-32 and length checked).
        case gzip
        /// RFC 1950 zlib (windowBits 15: Adler-32 checked).
        case zlib

        /// "gzip" or "zlib", for messages.
        package var name: String { self == .gzip ? "gzip" : "zlib" }
    }

    /// What happens once a stream's end marker has been read.
    package enum AfterEnd: Sendable {
        /// More input starts another gzip member, read as the same stream (as `gzip -d` does);
        /// for a zlib stream, more input is `.trailingInput`.
        case readNextMember
        /// The data ends at the end marker; input after it is not read.
        case stop
    }

    /// What one `inflate(into:count:refill:)` call came to.
    package enum Outcome: Equatable, Sendable {
        /// That many bytes (at least one) went into the buffer.
        case produced(Int)
        /// The data ended at an end marker, with nothing after it that is read.
        case ended
        /// The input ended before the stream's end marker (also for an empty input).
        case cutShort
        /// Bytes follow the end of a zlib stream (with `.readNextMember`).
        case trailingInput
        /// zlib found the data damaged: its message, or the status when it gave none.
        case corrupt(String)
    }

    /// `inflateInit2` failed with `status` (out of memory, or a zlib that does not match).
    package struct InitFailure: Error {
        package var status: Int32
    }

    package let wrapper: Wrapper
    private let afterEnd: AfterEnd
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawPointer
    private let inputCapacity: Int
    private var inputEnded = false
    private var streamEnded = false
    private let tracksMembers: Bool
    /// Bytes decompressed by the gzip members before the current one (zlib's `total_out`
    /// restarts at each member).
    private var earlierMembersOutput: Int64 = 0
    /// Compressed bytes taken in so far (the prefix included).
    package private(set) var compressedBytesRead: Int64 = 0
    /// With `tracksMembers`, where each gzip member met so far begins (the first at 0, 0); one
    /// entry per member, so memory grows with the member count, not the record count.
    package private(set) var memberStarts: [GzipMemberStart] = []

    /// An inflater of `wrapper` data read in pieces of `inputCapacity` bytes. `prefix`: bytes
    /// already taken from the input (a sniffed magic number) that start the stream.
    package init(
        wrapper: Wrapper, afterEnd: AfterEnd, inputCapacity: Int, prefix: [UInt8] = [], tracksMembers: Bool = false
    ) throws(InitFailure) {
        self.wrapper = wrapper
        self.afterEnd = afterEnd
        self.inputCapacity = max(inputCapacity, prefix.count)
        self.tracksMembers = tracksMembers && wrapper == .gzip
        if self.tracksMembers { memberStarts.append(GzipMemberStart(fileOffset: 0, streamOffset: 0)) }
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: self.inputCapacity, alignment: 64)
        prefix.withUnsafeBytes { if let base = $0.baseAddress { input.copyMemory(from: base, byteCount: $0.count) } }
        stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(prefix.count)
        compressedBytesRead = Int64(prefix.count)
        let windowBits: Int32 = wrapper == .gzip ? 15 + 16 : 15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw InitFailure(status: status)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// The offset in the decompressed data where inflating stands: after a `.corrupt`, the first
    /// byte the damage kept from coming out.
    package var outputOffset: Int64 { earlierMembersOutput + Int64(stream.pointee.total_out) }

    /// Decompresses into the `count` bytes at `buffer` until at least one byte comes out or the
    /// data ends. `refill(into, capacity)` puts the next compressed bytes at `into` and returns
    /// how many, 0 at the end of the input; its errors pass through.
    package func inflate<Failure: Error>(
        into buffer: UnsafeMutableRawPointer, count: Int,
        refill: (UnsafeMutableRawPointer, Int) throws(Failure) -> Int
    ) throws(Failure) -> Outcome {
        stream.pointee.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(clamping: count)
        let requested = Int(stream.pointee.avail_out)
        while Int(stream.pointee.avail_out) == requested {
            if streamEnded && afterEnd == .stop { return .ended }
            if stream.pointee.avail_in == 0 && !inputEnded {
                let n = try refill(input, inputCapacity)
                if n == 0 { inputEnded = true }
                compressedBytesRead += Int64(n)
                stream.pointee.next_in = input.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = UInt32(n)
            }
            if streamEnded {
                if stream.pointee.avail_in == 0 { return .ended }
                guard wrapper == .gzip else { return .trailingInput }
                // Another gzip member follows; nothing came out yet in this call (the loop stops
                // at the first output), so the member's first byte is the next one handed out.
                earlierMembersOutput += Int64(stream.pointee.total_out)
                inflateReset(stream)
                streamEnded = false
                if tracksMembers {
                    memberStarts.append(
                        GzipMemberStart(
                            fileOffset: compressedBytesRead - Int64(stream.pointee.avail_in),
                            streamOffset: earlierMembersOutput))
                }
                continue
            }
            let status = zlibInflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                streamEnded = true
            case Z_BUF_ERROR:
                if stream.pointee.avail_in == 0 && inputEnded { return .cutShort }
            default:
                return .corrupt(zlibMessage(stream, status))
            }
        }
        return .produced(requested - Int(stream.pointee.avail_out))
    }
}

/// zlib's `inflate`, under a name that `InflateStream.inflate` does not shadow.
private func zlibInflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 {
    inflate(stream, flush)
}

/// zlib's inflate over a file for TFRecord reading: fills caller buffers with decompressed
/// bytes. Accepts gzip files of several members (as `gzip -d` does); an empty file holds no
/// data. Turns `InflateStream`'s outcomes into `RecordIOError`s.
final class Inflater {
    private let inflater: InflateStream
    private let file: ReadableFile
    private let compression: Compression

    init(file: ReadableFile, compression: Compression, tracksMembers: Bool = false) throws(RecordIOError) {
        self.file = file
        self.compression = compression
        do {
            inflater = try InflateStream(
                wrapper: compression == .gzip ? .gzip : .zlib, afterEnd: .readNextMember, inputCapacity: 256 << 10,
                tracksMembers: tracksMembers)
        } catch {
            throw RecordIOError(path: file.path, kind: .compression("inflateInit2 failed with status \(error.status)"))
        }
    }

    /// Where each gzip member met so far begins (with `tracksMembers`).
    var memberStarts: [GzipMemberStart] { inflater.memberStarts }

    private func failure(_ reason: String) -> RecordIOError {
        RecordIOError(path: file.path, kind: .compression(reason))
    }

    /// Decompresses into `buffer`, returning the number of bytes produced; 0 only at the end of
    /// the compressed data. Throws when the stream is damaged or ends before its trailer.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(RecordIOError) -> Int {
        let name = inflater.wrapper.name
        let file = file
        let outcome = try inflater.inflate(into: buffer, count: count) { into, capacity throws(RecordIOError) in
            try file.read(into: into, count: capacity)
        }
        switch outcome {
        case .produced(let n):
            return n
        case .ended:
            return 0
        case .cutShort:
            let read = inflater.compressedBytesRead
            if read == 0 { return 0 }  // an empty file: zero records
            throw failure(
                "\(name) stream cut short: the file ends after \(read) compressed bytes, before the end of the stream")
        case .trailingInput:
            throw failure("unexpected bytes after the end of the zlib stream")
        case .corrupt(let reason):
            throw failure("\(name) data error: \(reason)")
        }
    }
}

/// Inflates a piece of one gzip member of a file, without reading what comes before the member:
/// the random access that a GZIP TFRecord file written as a sequence of members allows, through
/// `InflateStream` stopping at the member's end.
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
        let inflater: InflateStream
        do {
            inflater = try InflateStream(wrapper: .gzip, afterEnd: .stop, inputCapacity: pieceSize)
        } catch {
            throw failure("inflateInit2 failed with status \(error.status)")
        }
        let discard = UnsafeMutableRawPointer.allocate(byteCount: pieceSize, alignment: 64)
        defer { discard.deallocate() }
        var position = memberOffset
        var first = true
        /// The member's compressed bytes from its start, in pieces; the file may not end inside it.
        func refill(_ into: UnsafeMutableRawPointer, _ capacity: Int) throws(RecordIOError) -> Int {
            let n = try file.read(into: into, count: capacity, at: position)
            guard n > 0 else { throw failure("the file ends inside the member (at byte \(position))") }
            if first {
                first = false
                let magic =
                    into.load(as: UInt8.self) == 0x1F && (n < 2 || into.load(fromByteOffset: 1, as: UInt8.self) == 0x8B)
                guard magic else { throw failure("no gzip member starts there") }
            }
            position += Int64(n)
            return n
        }
        var skipLeft = skip
        var filled = 0
        while filled < count {
            let skipping = skipLeft > 0
            let room = skipping ? Int(min(Int64(pieceSize), skipLeft)) : count - filled
            switch try inflater.inflate(into: skipping ? discard : output + filled, count: room, refill: refill) {
            case .produced(let n):
                if skipping { skipLeft -= Int64(n) } else { filled += n }
            case .ended, .cutShort, .trailingInput:
                throw failure(
                    "the member ends after \(skip - skipLeft + Int64(filled)) decompressed bytes, before the "
                        + "record's end at \(skip + Int64(count))")
            case .corrupt(let reason):
                throw failure("gzip data error: \(reason)")
            }
        }
    }
}
