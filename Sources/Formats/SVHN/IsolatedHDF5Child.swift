internal import CShardKitHDF5
internal import Foundation
internal import Glibc

/// Runs libhdf5 on an untrusted file in a child process, so that what libhdf5 does on a crafted
/// file (fuzzing found requests for terabytes, leaks and out-of-bounds reads in libhdf5 1.10)
/// cannot take this process down. The child is a `fork` of this process: it runs `work` (which
/// does every libhdf5 call) and sends its results over a pipe; this side reads them as they are
/// needed, so entries still stream. A child that dies before it sent its end, or that says nothing
/// for `silenceLimit` seconds (default 120), becomes a `FormatError` naming the file and the entry.
///
/// The child never returns into the caller's code: it leaves with `_exit`, so neither `atexit`
/// handlers nor the parent's signal clean-up (SIGINT and SIGTERM are reset to their defaults) run
/// there. It dies with its parent (`PR_SET_PDEATHSIG`).
final class IsolatedHDF5Child {
    /// How long the child may stay silent before it is taken to hang, in seconds.
    let silenceLimit: Int32
    private let path: String
    private let pid: pid_t
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var consumed = 0
    private var reaped = false

    /// Forks; the child runs `work` and exits. The pipe and the fork happen under `spawnLock`, so
    /// a child never inherits another child's pipe (which would keep that pipe from ending).
    init(path: String, silenceLimit: Int32 = 120, work: (ChildChannel) -> Void) throws(FormatError) {
        self.path = path
        self.silenceLimit = silenceLimit
        var ends: [Int32] = [-1, -1]
        Self.spawnLock.lock()
        guard pipe(&ends) == 0 else {
            Self.spawnLock.unlock()
            throw FormatError(
                .io, path: path, "cannot start the HDF5 reader: pipe: \(String(cString: strerror(errno)))")
        }
        let child = fork()
        if child == 0 {
            close(ends[0])
            Self.becomeChild()
            let channel = ChildChannel(fd: ends[1])
            work(channel)
            channel.sendEnd()
            _exit(0)
        }
        close(ends[1])
        Self.spawnLock.unlock()
        guard child > 0 else {
            close(ends[0])
            throw FormatError(
                .io, path: path, "cannot start the HDF5 reader: fork: \(String(cString: strerror(errno)))")
        }
        pid = child
        fd = ends[0]
    }

    deinit {
        close(fd)
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// Held from `pipe` to the parent's `close` of the child's end.
    private static let spawnLock = NSLock()

    /// In the child, before `work`: default signal dispositions (the parent's handlers clean up
    /// the parent's outputs, and a crash handler such as Swift's backtracer would report the
    /// child's crash as the parent's: the parent reports it, in one line), death with the parent,
    /// and no locking of `hdf5Lock`, which another thread of the parent may have held at the fork.
    private static func becomeChild() {
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            signal(signalNumber, SIG_DFL)
        }
        shardkit_die_with_parent()
        hdf5LockBypassed = true
    }

    // MARK: Messages: a tag byte, then little-endian fields; strings are a UInt32 length and UTF-8.

    private enum Tag: UInt8 {
        case count = 0x43  // C: UInt64
        case entry = 0x45  // E: name, UInt32 box count, 5 × Float64 per box
        case error = 0x58  // X: kind, Int64 record (−1: none), message, expected?, found?
        case end = 0x44  // D: all sent
    }

    /// The child's end of the pipe.
    struct ChildChannel {
        let fd: Int32

        func sendCount(_ count: Int) {
            var out = [Tag.count.rawValue]
            append(UInt64(count), to: &out)
            write(out)
        }

        func send(_ entry: DigitStructEntry) {
            var out = [Tag.entry.rawValue]
            append(entry.name, to: &out)
            append(UInt64(entry.boxes.count), to: &out)
            for box in entry.boxes {
                for value in [Double(box.label), box.left, box.top, box.width, box.height] {
                    append(value.bitPattern, to: &out)
                }
            }
            write(out)
        }

        func send(_ error: FormatError) {
            var out = [Tag.error.rawValue]
            append(error.kind.rawValue, to: &out)
            append(UInt64(bitPattern: Int64(error.record ?? -1)), to: &out)
            append(error.message, to: &out)
            for optional in [error.expected, error.found] {
                out.append(optional == nil ? 0 : 1)
                if let optional { append(optional, to: &out) }
            }
            write(out)
        }

        /// Called by `init` after `work`: the end marker, then `_exit(0)`.
        fileprivate func sendEnd() { write([Tag.end.rawValue]) }

        private func append(_ value: UInt64, to out: inout [UInt8]) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }

        private func append(_ text: String, to out: inout [UInt8]) {
            append(UInt64(text.utf8.count), to: &out)
            out.append(contentsOf: text.utf8)
        }

        /// Writes all of `bytes`; a parent that stopped listening ends the child.
        private func write(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { _exit(0) }
                    done += n
                }
            }
        }
    }

    // MARK: The parent's side.

    /// The entry count the child found, or its error.
    func receiveCount() throws(FormatError) -> Int {
        switch try receiveTag(record: nil) {
        case .count: return Int(clamping: try receiveUInt64(record: nil))
        default: throw unexpected(record: nil)
        }
    }

    /// Entry `record`, or the child's error for it.
    func receiveEntry(record: Int) throws(FormatError) -> DigitStructEntry {
        guard try receiveTag(record: record) == .entry else { throw unexpected(record: record) }
        let name = try receiveString(record: record)
        let boxCount = try receiveUInt64(record: record)
        guard boxCount < 1000 else { throw unexpected(record: record) }
        var boxes: [DigitBox] = []
        for _ in 0..<boxCount {
            var values: [Double] = []
            for _ in 0..<5 { values.append(Double(bitPattern: try receiveUInt64(record: record))) }
            boxes.append(
                DigitBox(label: Int(values[0]), left: values[1], top: values[2], width: values[3], height: values[4]))
        }
        return DigitStructEntry(index: record, name: name, boxes: boxes)
    }

    /// The end marker after the last entry, and a child that exited cleanly.
    func receiveEnd() throws(FormatError) {
        guard try receiveTag(record: nil) == .end else { throw unexpected(record: nil) }
        let status = reap()
        guard status == 0 else { throw failure(status: status, record: nil) }
    }

    /// The next tag; an error message is decoded and thrown, the pipe's end becomes the child's fate.
    private func receiveTag(record: Int?) throws(FormatError) -> Tag {
        guard let byte = try receive(1, record: record)?.first else { throw failure(status: reap(), record: record) }
        guard let tag = Tag(rawValue: byte) else { throw unexpected(record: record) }
        guard tag == .error else { return tag }
        let kind = FormatError.Kind(rawValue: try receiveString(record: record)) ?? .decode
        let sentRecord = Int64(bitPattern: try receiveUInt64(record: record))
        let message = try receiveString(record: record)
        var optionals: [String?] = []
        for _ in 0..<2 {
            let present = try receive(1, record: record)?.first == 1
            optionals.append(present ? try receiveString(record: record) : nil)
        }
        throw FormatError(
            kind, path: path, record: sentRecord < 0 ? nil : Int(sentRecord), message, expected: optionals[0],
            found: optionals[1])
    }

    private func receiveUInt64(record: Int?) throws(FormatError) -> UInt64 {
        guard let bytes = try receive(8, record: record) else { throw failure(status: reap(), record: record) }
        return bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    private func receiveString(record: Int?) throws(FormatError) -> String {
        let length = try receiveUInt64(record: record)
        guard length <= 1 << 20 else { throw unexpected(record: record) }
        guard let bytes = try receive(Int(length), record: record) else {
            throw failure(status: reap(), record: record)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exactly `count` bytes, or nil when the pipe ends first (the child exited or died).
    private func receive(_ count: Int, record: Int?) throws(FormatError) -> ArraySlice<UInt8>? {
        while buffer.count - consumed < count {
            if consumed > 0 {
                buffer.removeFirst(consumed)
                consumed = 0
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, silenceLimit * 1000)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                throw stop(
                    record: record, "libhdf5 made no progress on this file for \(silenceLimit) s and was stopped")
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
        defer { consumed += count }
        return buffer[consumed..<(consumed + count)]
    }

    /// Waits for the child; its raw wait status.
    private func reap() -> Int32 {
        guard !reaped else { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return status
    }

    /// What the child's end means: a crash (signal, or a non-zero exit such as a sanitizer's).
    private func failure(status: Int32, record: Int?) -> FormatError {
        let signal = status & 0x7F
        let how =
            signal != 0
            ? "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            : "exited with status \((status >> 8) & 0xFF)"
        return FormatError(
            .decode, path: path, record: record,
            "libhdf5 failed on this file (its reader process was \(how) before it finished); "
                + "the file is damaged or not a digitStruct.mat",
            expected: "a MATLAB 7.3 digitStruct.mat")
    }

    /// Two walkers of one file that counted its entries differently: this one is stopped.
    func disagreement(_ first: Int, _ this: Int) -> FormatError {
        stop(
            record: nil,
            "libhdf5's reader processes disagree on the entry count (\(first) and \(this)); the file is damaged")
    }

    /// A reply out of order or out of range: the child is stopped and the file reported.
    private func unexpected(record: Int?) -> FormatError {
        stop(
            record: record,
            "libhdf5's reader process sent a reply that makes no sense; the file is damaged or not a digitStruct.mat")
    }

    /// Kills and reaps the child; the error to report for the file.
    private func stop(record: Int?, _ message: String) -> FormatError {
        kill(pid, SIGKILL)
        _ = reap()
        return FormatError(.decode, path: path, record: record, message, expected: "a MATLAB 7.3 digitStruct.mat")
    }
}
