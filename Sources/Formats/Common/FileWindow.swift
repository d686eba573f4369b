/// A byte range of an open file read as a `ChunkSource` of its own, with positioned reads
/// (`pread`), so several windows of one file can be read at once and a reader can skip to any
/// part of a file without reading what lies before it.
final class FileWindow: ChunkSource {
    private let file: FileSource
    private let end: Int
    private var next: Int
    let knownSize: Int?

    /// The `count` bytes of `file` from byte `start`; reads stop early only where the file does.
    init(file: FileSource, start: Int, count: Int) {
        self.file = file
        next = start
        end = start + count
        knownSize = count
    }

    var endPhrase: String { "file ends" }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        let wanted = min(buffer.count, end - next)
        guard wanted > 0 else { return 0 }
        let n = try file.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: next)
        next += n
        return n
    }

    func checkCleanEnd(position: Int) throws(FormatError) {}

    /// Moves ahead without reading (positioned reads need no seek); not past the window's end.
    func seek(by count: Int) -> Bool {
        next = min(end, next + count)
        return true
    }
}
