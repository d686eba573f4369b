internal import RecordIO

/// A deflate stream decompressed by RecordIO's `InflateStream` (the one inflater), read from
/// another `ChunkSource` (a file, a window of one, an archive entry), its outcomes turned into
/// `FormatError`s that name the file and the decompressed offset.
final class InflateSource: ChunkSource {
    /// The wrapper around the deflate data (`InflateStream.Wrapper`, named here so that readers
    /// need not import RecordIO).
    enum Wrapper {
        /// gzip: concatenated members are read as one stream, as `gunzip` does.
        case gzip
        /// zlib: the data ends at the end of the stream; input after it is not read.
        case zlib
    }

    private let upstream: any ChunkSource
    private let path: String
    private let inflater: InflateStream
    /// Whether the last `fill` stopped at an end marker (rather than at a cut).
    private var endedCleanly = false

    /// Inflates `upstream`: `.gzip` reads concatenated members as one stream, as `gunzip` does;
    /// `.zlib` (e.g. a MATLAB miCOMPRESSED element) ends at the end of its stream, and input after
    /// it is not read. `prefix`: bytes already taken from `upstream` (a sniffed magic number) that
    /// start the stream; `path` names the file in errors.
    init(upstream: any ChunkSource, path: String, prefix: [UInt8] = [], wrapper: Wrapper)
        throws(FormatError)
    {
        self.upstream = upstream
        self.path = path
        do {
            inflater = try InflateStream(
                wrapper: wrapper == .gzip ? .gzip : .zlib, afterEnd: wrapper == .gzip ? .readNextMember : .stop,
                inputCapacity: 1 << 16, prefix: prefix)
        } catch {
            throw FormatError(.io, path: path, "zlib inflateInit2 failed (status \(error.status))")
        }
    }

    var knownSize: Int? { nil }
    var endPhrase: String { "\(inflater.wrapper.name) stream ends early" }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let upstream = upstream
        let outcome = try inflater.inflate(into: base, count: buffer.count) {
            into, capacity throws(FormatError) in
            try upstream.fill(UnsafeMutableRawBufferPointer(start: into, count: capacity))
        }
        switch outcome {
        case .produced(let n):
            return n
        case .ended:
            endedCleanly = true
            return 0
        case .cutShort:
            endedCleanly = false
            return 0
        case .trailingInput:
            // Not met: a zlib stream stops at its end, and gzip members follow one another.
            endedCleanly = true
            return 0
        case .corrupt(let reason):
            // The offset is where inflating stopped: the first byte the damage kept from coming out.
            throw FormatError(
                .compression, path: path, offset: Int(inflater.outputOffset),
                "\(inflater.wrapper.name) data is corrupt: \(reason)")
        }
    }

    func checkCleanEnd(position: Int) throws(FormatError) {
        if !endedCleanly {
            throw FormatError(
                .truncated, path: path, offset: position,
                "\(inflater.wrapper.name) stream ends early (no end-of-stream marker)")
        }
    }
}
