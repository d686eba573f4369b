import Dispatch
import Foundation

/// A buffered output file: bytes are staged in a large buffer and written with few `write(2)`
/// calls, optionally through deflate, optionally hashed (SHA-256 of the bytes that reach the file).
///
/// Two staging buffers take turns: while the owner frames records into one, a background queue
/// writes the other (compressing it first, when asked), so deflate and the kernel's copy into the
/// page cache overlap with encoding on a second core. The SHA-256 is taken where it balances the
/// two threads: of an uncompressed buffer by the owner as it hands the buffer over (the write is
/// the slower half), of compressed output by the background queue after deflate. At most one
/// buffer is in flight, so memory stays at two buffers.
///
/// gzip output may be cut into several members (`endMember()`): each member's deflate stream is
/// finished and a new one started at exactly the stream offset the owner asked for, so the bytes
/// do not depend on when buffers are handed over. The flush job notes where each member begins
/// in the file (`memberStart(_:)`).
///
/// `@unchecked Sendable`: the owner and the flush queue never touch the same state at once. The
/// owner hands a buffer over in `flushStaging` and then touches only the other one; the deflater,
/// file and `fileBytes` (and the hasher, for compressed output) are used by the flush job alone
/// until the owner waits for it to finish (`drain`), which happens before every read of them.
package final class ByteSink: @unchecked Sendable {
    private struct Buffer {
        var base: UnsafeMutableRawPointer
        var capacity: Int
    }

    let file: WritableFile
    private var staging: Buffer
    /// The other buffer: being written by the flush job, or idle.
    private var spare: Buffer
    private var count = 0
    private let deflater: Deflater?
    private let hasher: SHA256Hasher?
    /// Bytes accepted so far (before compression).
    private(set) var streamBytes: Int64 = 0
    /// Bytes handed to the file so far (after compression); read it only after `close`.
    private(set) var fileBytes: Int64 = 0
    private(set) var closed = false

    private let queue = DispatchQueue(label: "shardkit.recordio.flush")
    /// Signalled when the flush job has finished with `spare`.
    private let idle = DispatchSemaphore(value: 1)
    /// The first error the flush job met; thrown to the owner at its next flush or close.
    private var failure: RecordIOError?
    /// Positions in `staging` where a gzip member ends (the owner's list for the next hand-over).
    private var memberEnds: [Int] = []
    /// File offsets of the members' first bytes, as far as the flush job has compressed them.
    private var memberStarts: [Int64] = [0]
    private let memberLock = NSLock()

    package init(path: String, compression: Compression, level: Int32, bufferSize: Int, hashing: Bool)
        throws(RecordIOError)
    {
        file = try WritableFile(path: path)
        let capacity = max(bufferSize, 4096)
        staging = Buffer(base: .allocate(byteCount: capacity, alignment: 64), capacity: capacity)
        spare = Buffer(base: .allocate(byteCount: capacity, alignment: 64), capacity: capacity)
        deflater = compression == .none ? nil : try Deflater(compression: compression, level: level, path: path)
        hasher = hashing ? SHA256Hasher() : nil
    }

    deinit {
        drain()
        staging.base.deallocate()
        spare.base.deallocate()
    }

    /// Space for `n` more bytes at the end of the staging buffer (flushing or growing it first).
    /// Call `commit` with the number of bytes actually written there.
    @inline(__always)
    package func reserve(_ n: Int) throws(RecordIOError) -> UnsafeMutableRawPointer {
        if staging.capacity - count < n {
            try flushStaging()
            if staging.capacity < n {
                staging.base.deallocate()
                staging = Buffer(base: .allocate(byteCount: n, alignment: 64), capacity: n)
            }
        }
        return staging.base + count
    }

    @inline(__always)
    package func commit(_ n: Int) {
        count += n
        streamBytes += Int64(n)
    }

    package func append(_ bytes: UnsafeRawBufferPointer) throws(RecordIOError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let target = try reserve(bytes.count)
        target.copyMemory(from: base, byteCount: bytes.count)
        commit(bytes.count)
    }

    /// Ends the current gzip member at the present stream offset: the bytes accepted so far close
    /// it, and the next bytes open a new member. Only for gzip output.
    package func endMember() {
        precondition(deflater != nil, "gzip members need compressed output")
        memberEnds.append(count)
    }

    /// The file offset of member `ordinal`'s first byte (0 for the first member), or nil while the
    /// flush job has not yet finished the member before it.
    package func memberStart(_ ordinal: Int) -> Int64? {
        memberLock.lock()
        defer { memberLock.unlock() }
        return ordinal < memberStarts.count ? memberStarts[ordinal] : nil
    }

    /// Runs on the flush queue: compress (if asked), hash and write `n` bytes at `bytes`, ending a
    /// gzip member at each of `memberEnds` (positions in the bytes).
    private func write(_ bytes: UnsafeRawPointer, _ n: Int, memberEnds: [Int] = [], finish: Bool) throws(RecordIOError) {
        guard let deflater else { return try emit(bytes, n) }
        let sink = { (p: UnsafeRawPointer, m: Int) throws(RecordIOError) in try self.emit(p, m) }
        var start = 0
        for end in memberEnds {
            try deflater.compress(bytes + start, count: end - start, finish: true, sink: sink)
            try deflater.reset()
            memberLock.lock()
            memberStarts.append(fileBytes)
            memberLock.unlock()
            start = end
        }
        if n > start || finish {
            try deflater.compress(bytes + start, count: n - start, finish: finish, sink: sink)
        }
    }

    /// Writes bytes that reach the file; hashes them here only when compressed (the owner hashed
    /// uncompressed bytes already).
    private func emit(_ bytes: UnsafeRawPointer, _ n: Int) throws(RecordIOError) {
        if deflater != nil { hasher?.update(bytes, count: n) }
        try file.write(bytes, count: n)
        fileBytes += Int64(n)
    }

    /// Hands the staged bytes to the flush queue and continues in the other buffer.
    private func flushStaging() throws(RecordIOError) {
        guard count > 0 || !memberEnds.isEmpty else { return }
        idle.wait()  // the previous job is done with `spare`
        if let failure {
            idle.signal()
            throw failure
        }
        let n = count
        let ends = memberEnds
        memberEnds.removeAll(keepingCapacity: true)
        if deflater == nil { hasher?.update(staging.base, count: n) }
        swap(&staging, &spare)
        count = 0
        // The job reads `spare`, which the owner leaves alone until the job signals `idle`.
        queue.async {
            do throws(RecordIOError) {
                try self.write(self.spare.base, n, memberEnds: ends, finish: false)
            } catch {
                self.failure = error
            }
            self.idle.signal()
        }
    }

    /// Waits until no flush job is running.
    private func drain() {
        idle.wait()
        idle.signal()
    }

    /// Writes out the staged bytes (compressed data may stay inside deflate until `close`).
    package func flush() throws(RecordIOError) {
        try flushStaging()
        drain()
        if let failure { throw failure }
    }

    /// Flushes everything, ends the compressed stream, optionally fsyncs, closes the file, and
    /// returns the SHA-256 (hex) when hashing.
    package func close(sync: Bool) throws(RecordIOError) -> String? {
        guard !closed else { return nil }
        closed = true
        try flushStaging()
        drain()
        if let failure { throw failure }
        if deflater != nil { try write(staging.base, 0, finish: true) }
        if sync { try file.sync() }
        try file.close()
        return hasher?.finalizeHex()
    }
}
