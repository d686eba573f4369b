/// A buffered output file: bytes are staged in a large buffer and written with few `write(2)`
/// calls, optionally through deflate, optionally hashed (SHA-256 of the bytes that reach the file).
final class ByteSink {
    let file: WritableFile
    private var staging: UnsafeMutableRawPointer
    private var capacity: Int
    private var count = 0
    private let deflater: Deflater?
    private let hasher: SHA256Hasher?
    /// Bytes accepted so far (before compression).
    private(set) var streamBytes: Int64 = 0
    /// Bytes handed to the file so far (after compression).
    private(set) var fileBytes: Int64 = 0
    private(set) var closed = false

    init(path: String, compression: Compression, level: Int32, bufferSize: Int, hashing: Bool)
        throws(RecordIOError)
    {
        file = try WritableFile(path: path)
        capacity = max(bufferSize, 4096)
        staging = .allocate(byteCount: capacity, alignment: 64)
        deflater = compression == .none ? nil : try Deflater(compression: compression, level: level, path: path)
        hasher = hashing ? SHA256Hasher() : nil
    }

    deinit { staging.deallocate() }

    /// Space for `n` more bytes at the end of the staging buffer (flushing or growing it first).
    /// Call `commit` with the number of bytes actually written there.
    @inline(__always)
    func reserve(_ n: Int) throws(RecordIOError) -> UnsafeMutableRawPointer {
        if capacity - count < n {
            try flushStaging()
            if capacity < n {
                staging.deallocate()
                capacity = n
                staging = .allocate(byteCount: capacity, alignment: 64)
            }
        }
        return staging + count
    }

    @inline(__always)
    func commit(_ n: Int) {
        count += n
        streamBytes += Int64(n)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(RecordIOError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let target = try reserve(bytes.count)
        target.copyMemory(from: base, byteCount: bytes.count)
        commit(bytes.count)
    }

    private func emit(_ bytes: UnsafeRawPointer, _ n: Int) throws(RecordIOError) {
        hasher?.update(bytes, count: n)
        try file.write(bytes, count: n)
        fileBytes += Int64(n)
    }

    private func flushStaging() throws(RecordIOError) {
        guard count > 0 else { return }
        if let deflater {
            try deflater.compress(staging, count: count, finish: false) { (p, n) throws(RecordIOError) in
                try emit(p, n)
            }
        } else {
            try emit(staging, count)
        }
        count = 0
    }

    /// Writes out the staged bytes (compressed data may stay inside deflate until `close`).
    func flush() throws(RecordIOError) { try flushStaging() }

    /// Flushes everything, ends the compressed stream, optionally fsyncs, closes the file, and
    /// returns the SHA-256 (hex) when hashing.
    func close(sync: Bool) throws(RecordIOError) -> String? {
        guard !closed else { return nil }
        closed = true
        try flushStaging()
        if let deflater {
            try deflater.compress(nil, count: 0, finish: true) { (p, n) throws(RecordIOError) in try emit(p, n) }
        }
        if sync { try file.sync() }
        try file.close()
        return hasher?.finalizeHex()
    }
}
