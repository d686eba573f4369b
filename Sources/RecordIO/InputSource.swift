import Glibc

/// A window over a file's bytes (decompressed when needed) with bounded memory: one buffer,
/// 1 MiB by default, grown only to hold a record larger than that.
final class InputSource {
    let file: ReadableFile
    private let inflater: Inflater?
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// Offset of the window's first byte in the (decompressed) stream.
    private(set) var streamOffset: Int64 = 0

    init(file: ReadableFile, compression: Compression, bufferSize: Int, tracksGzipMembers: Bool = false)
        throws(RecordIOError)
    {
        self.file = file
        inflater =
            compression == .none
            ? nil : try Inflater(file: file, compression: compression, tracksMembers: tracksGzipMembers)
        capacity = max(bufferSize, 64)
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    var available: Int { end - start }
    var window: UnsafeRawPointer { UnsafeRawPointer(buffer + start) }
    var isCompressed: Bool { inflater != nil }
    /// Where each gzip member read so far begins, when the inflater tracks them.
    var gzipMemberStarts: [GzipMemberStart] { inflater?.memberStarts ?? [] }

    func consume(_ n: Int) {
        start += n
        streamOffset += Int64(n)
    }

    /// Makes at least `n` bytes available in the window, reading as needed. Returns false when the
    /// stream ends first (the window then holds what is left). For compressed input the buffer
    /// grows by doubling as data arrives, so a bogus large `n` costs no more than the real data.
    func fill(atLeast n: Int) throws(RecordIOError) -> Bool {
        while end - start < n {
            if sourceEnded { return false }
            if start + n > capacity || end == capacity {
                if start > 0 {
                    if end > start { memmove(buffer, buffer + start, end - start) }
                    end -= start
                    start = 0
                }
                if n > capacity && end == capacity || n > capacity && inflater == nil {
                    let newCapacity = inflater == nil ? n : min(n, capacity * 2)
                    let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 64)
                    grown.copyMemory(from: buffer, byteCount: end)
                    buffer.deallocate()
                    buffer = grown
                    capacity = newCapacity
                }
            }
            let room = capacity - end
            let got: Int
            if let inflater {
                got = try inflater.read(into: buffer + end, count: room)
            } else {
                got = try file.read(into: buffer + end, count: room)
            }
            if got == 0 { sourceEnded = true } else { end += got }
        }
        return true
    }
}
