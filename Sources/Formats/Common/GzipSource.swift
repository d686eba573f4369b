internal import CZlib

/// A gzip stream decompressed with zlib's `inflate` (windowBits 15+16: gzip wrapper, CRC-32 and
/// length checked). Concatenated gzip members are read as one stream, as `gunzip` does.
/// The `z_stream` lives on the heap (zlib keeps a pointer to it) and is released with `inflateEnd`.
final class GzipSource: ChunkSource {
    private let file: FileSource
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var inputEOF = false
    private var memberEnded = false
    private var sawStreamEnd = false

    init(file: FileSource, prefix: [UInt8]) throws(FormatError) {
        self.file = file
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        prefix.withUnsafeBytes { input.copyMemory(from: $0) }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(prefix.count)
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            stream.deallocate()
            throw FormatError(.io, path: file.path, "zlib inflateInit2 failed (status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    var knownSize: Int? { nil }
    var endPhrase: String { "gzip stream ends early" }

    private func refillInput() throws(FormatError) {
        let n = try file.fill(input)
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(n)
        if n == 0 { inputEOF = true }
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(buffer.count)
        while stream.pointee.avail_out == UInt32(buffer.count) {
            if stream.pointee.avail_in == 0 && !inputEOF { try refillInput() }
            if memberEnded {
                // Another gzip member follows? Only if more input remains.
                if stream.pointee.avail_in == 0 { return 0 }
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
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw FormatError(.compression, path: file.path, "gzip data is corrupt: \(reason)")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }

    func checkCleanEnd(position: Int) throws(FormatError) {
        if !memberEnded || !sawStreamEnd {
            throw FormatError(
                .truncated, path: file.path, offset: position,
                "gzip stream ends early (no end-of-stream marker)")
        }
    }
}
