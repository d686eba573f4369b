internal import CShardKitIsolation
internal import Foundation
internal import Glibc
internal import ShardKitSupport

/// Runs libhdf5 on an untrusted file in a child process, so that what libhdf5 does on a crafted
/// file (fuzzing found requests for terabytes, leaks and out-of-bounds reads in libhdf5 1.10)
/// cannot take this process down. The child is this executable started again (`posix_spawn` of
/// /proc/self/exe, see CShardKitIsolation): a `fork` of a multi-threaded process inherits the
/// locks other threads held at that moment, and a CI run saw such a child wait on one for good.
/// The child runs a `Job` and sends its results over a pipe; this side reads them as they are
/// needed, so entries still stream. A child that dies before it sent its end, or that says nothing
/// for `silenceLimit` seconds (default 120), becomes a `FormatError` naming the file and the entry.
/// The child exits within a second of its parent's end (a thread of it watches `getppid`).
final class IsolatedHDF5Child {
    /// What a child does, passed to it in its environment.
    enum Job: Equatable {
        /// Parse the digitStruct.mat at the child's path (or the file image on its descriptor 4)
        /// and send entries `walker`, `walker + walkers`, … (`DigitStructReader.walk`).
        case digitStructWalk(walker: Int, walkers: Int, fromImage: Bool)

        /// The marker variable's value for this job.
        fileprivate static let digitStructName = "digitstruct"
    }

    /// How long the child may stay silent before it is taken to hang, in seconds.
    let silenceLimit: Int32
    /// The child's process id (tests signal it).
    let pid: pid_t
    private let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var consumed = 0
    private var reaped = false

    /// Starts a child that runs `job` on `path`; `input` (an open descriptor, or nil) becomes the
    /// child's descriptor 4, which is how a file image reaches it.
    init(path: String, job: Job, input: Int32? = nil, silenceLimit: Int32 = 120) throws(FormatError) {
        self.path = path
        self.silenceLimit = silenceLimit
        var ends: [Int32] = [-1, -1]
        guard shardkit_cloexec_pipe(&ends) == 0 else {
            throw FormatError(
                .io, path: path, "cannot start the HDF5 reader: pipe: \(String(cString: strerror(errno)))")
        }
        var environment = [
            "\(SHARDKIT_ISOLATED_PARENT_VARIABLE)=\(getpid())",
            // The child needs none of OpenBLAS's threads (the library is linked, so it starts them).
            "OPENBLAS_NUM_THREADS=1",
            "\(Self.pathVariable)=\(path)",
        ]
        switch job {
        case .digitStructWalk(let walker, let walkers, let fromImage):
            environment += [
                "\(SHARDKIT_ISOLATED_CHILD_VARIABLE)=\(Job.digitStructName)",
                "\(Self.walkerVariable)=\(walker)/\(walkers)/\(fromImage ? 1 : 0)",
            ]
        }
        var child: pid_t = 0
        let status = Self.withCStrings(environment) { pointers in
            shardkit_spawn_isolated_child(pointers, ends[1], input ?? -1, &child)
        }
        close(ends[1])
        guard status == 0 else {
            close(ends[0])
            throw FormatError(
                .io, path: path, "cannot start the HDF5 reader: posix_spawn: \(String(cString: strerror(status)))")
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

    private static let pathVariable = "SHARDKIT_ISOLATED_PATH"
    private static let walkerVariable = "SHARDKIT_DIGITSTRUCT_WALKER"

    /// `strings` as a NULL-terminated array of C strings, alive during `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    // MARK: The child's side.

    /// The child's `main`, called by CShardKitIsolation's constructor before the executable's own:
    /// decodes the job from the environment, runs it, and returns the exit status.
    static func runChild(job: String) -> Int32 {
        let channel = ChildChannel(fd: SHARDKIT_ISOLATED_REPLY_FD)
        guard job == Job.digitStructName, let path = getenv(pathVariable).map({ String(cString: $0) }),
            let walking = getenv(walkerVariable).map({ String(cString: $0) })
        else { return SHARDKIT_ISOLATED_BAD_REQUEST }
        let fields = walking.split(separator: "/").compactMap { Int($0) }
        guard fields.count == 3, fields[1] > 0, (0..<fields[1]).contains(fields[0]) else {
            return SHARDKIT_ISOLATED_BAD_REQUEST
        }
        var image: [UInt8]? = nil
        if fields[2] == 1 {
            guard let bytes = readAll(SHARDKIT_ISOLATED_INPUT_FD) else { return SHARDKIT_ISOLATED_UNREADABLE_INPUT }
            image = bytes
        }
        DigitStructReader.walk(path: path, image: image, walker: fields[0], walkers: fields[1], to: channel)
        channel.sendEnd()
        return 0
    }

    /// Every byte of the file open at `fd` (the parent's in-memory file image), or nil.
    private static func readAll(_ fd: Int32) -> [UInt8]? {
        guard let file = try? ReadOnlyFile(adopting: fd, path: "the file image"), file.size >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(file.size))
        let count: Int? = bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return 0 }
            return try? file.read(into: base, count: raw.count, at: 0)
        }
        return count == bytes.count ? bytes : nil
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

        /// Sent by `runChild` after the job: all is sent.
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
                do { try writeAll(fd, raw.baseAddress!, count: raw.count) } catch { _exit(0) }
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

    /// What the child's end means: a crash (signal, or a non-zero exit such as a sanitizer's), or,
    /// for the statuses the child uses for itself, a failure to start that is not the file's.
    func failure(status: Int32, record: Int?) -> FormatError {
        let signal = status & 0x7F
        let exitStatus = (status >> 8) & 0xFF
        if signal == 0, let reason = Self.startFailures[exitStatus] {
            return FormatError(.io, path: path, record: record, "cannot start the HDF5 reader: \(reason)")
        }
        let how =
            signal != 0
            ? "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            : "exited with status \(exitStatus)"
        return FormatError(
            .decode, path: path, record: record,
            "libhdf5 failed on this file (its reader process \(how) before it finished); "
                + "the file is damaged or not a digitStruct.mat",
            expected: "a MATLAB 7.3 digitStruct.mat")
    }

    /// The child's own exit statuses (CShardKitIsolation's header), as reasons.
    private static let startFailures: [Int32: String] = [
        SHARDKIT_ISOLATED_ORPHANED: "its parent was gone",
        SHARDKIT_ISOLATED_BAD_REQUEST: "it was not told which file and entries to read",
        SHARDKIT_ISOLATED_UNREADABLE_INPUT: "it could not read the file image it was given",
    ]

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

/// Called by CShardKitIsolation's constructor in a process started as an isolated child; not for
/// any other use.
@_cdecl("shardkit_isolated_child_main")
func isolatedChildMain(_ job: UnsafePointer<CChar>) -> Int32 {
    IsolatedHDF5Child.runChild(job: String(cString: job))
}
