internal import CShardKitZlib

/// A deflate stream decompressed with zlib's `inflate`, read from another `ChunkSource` (a file,
/// or a window of one). The `z_stream` lives on the heap (zlib keeps a pointer to it) and is
/// released with `inflateEnd`. The corresponding C functions are `inflateInit2_`, `inflate`,
/// `inflateReset` and `inflateEnd`.
final class InflateSource: ChunkSource {
    /// The wrapper around the deflate data; zlib checks its checksum at the end of the stream.
    enum Wrapper {
        /// A gzip file (windowBits 15+16: CRC-32 and length checked). Concatenated members are
        /// read as one stream, as `gunzip` does.
        case gzip
        /// An RFC 1950 zlib stream (windowBits 15: Adler-32 checked), e.g. a MATLAB miCOMPRESSED
        /// element. The data ends at the end of the stream; input after it is not read.
        case zlib

        var name: String { self == .gzip ? "gzip" : "zlib" }
    }

    private let upstream: any ChunkSource
    private let path: String
    private let wrapper: Wrapper
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var inputEOF = false
    private var memberEnded = false
    private var sawStreamEnd = false
    /// Bytes inflated by earlier gzip members (zlib's `total_out` restarts at each member).
    private var earlierMembersOutput = 0

    /// `prefix`: bytes already taken from `upstream` (a sniffed magic number) that start the stream.
    init(upstream: any ChunkSource, path: String, prefix: [UInt8] = [], wrapper: Wrapper) throws(FormatError) {
        self.upstream = upstream
        self.path = path
        self.wrapper = wrapper
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        prefix.withUnsafeBytes { input.copyMemory(from: $0) }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(prefix.count)
        let windowBits: Int32 = wrapper == .gzip ? 15 + 16 : 15
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw FormatError(.io, path: path, "zlib inflateInit2 failed (status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    var knownSize: Int? { nil }
    var endPhrase: String { "\(wrapper.name) stream ends early" }

    private func refillInput() throws(FormatError) {
        let n = try upstream.fill(input)
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(n)
        if n == 0 { inputEOF = true }
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(buffer.count)
        while stream.pointee.avail_out == UInt32(buffer.count) {
            if memberEnded && wrapper == .zlib { return 0 }
            if stream.pointee.avail_in == 0 && !inputEOF { try refillInput() }
            if memberEnded {
                // Another gzip member follows? Only if more input remains.
                if stream.pointee.avail_in == 0 { return 0 }
                earlierMembersOutput += Int(stream.pointee.total_out)
                inflateReset(stream)
                memberEnded = false
            }
            if stream.pointee.avail_in == 0 && inputEOF { return 0 }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                memberEnded = true
                sawStreamEnd = true
            default:
                // The offset is where inflating stopped: the first byte the damage kept from coming out.
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw FormatError(
                    .compression, path: path, offset: earlierMembersOutput + Int(stream.pointee.total_out),
                    "\(wrapper.name) data is corrupt: \(reason)")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }

    func checkCleanEnd(position: Int) throws(FormatError) {
        if !memberEnded || !sawStreamEnd {
            throw FormatError(
                .truncated, path: path, offset: position,
                "\(wrapper.name) stream ends early (no end-of-stream marker)")
        }
    }
}
