internal import Glibc

/// A system call that failed: its name and `errno`. Each module turns it into its own error,
/// with the path and its own wording.
package struct SystemCallError: Error, Sendable, Equatable {
    /// The call, e.g. "open", "read", "pread", "fstat".
    package var operation: String
    /// `errno` after the call.
    package var code: Int32

    /// The failure of `operation` with the current `errno`.
    package init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    /// `strerror`'s text for the code, e.g. "No such file or directory".
    package var reason: String { String(cString: strerror(code)) }
    /// Whether the file (or a folder on its path) does not exist.
    package var isMissingFile: Bool { code == ENOENT }
}

/// The one file-reading layer of ShardKit: a file descriptor opened for reading, closed in
/// `deinit`, with sequential and positioned reads that retry on `EINTR`. RecordIO's
/// `ReadableFile` and Formats' `FileSource` read through it. The corresponding C functions are
/// `open`, `fstat`, `read`, `pread`, `lseek` and `close`.
package final class ReadOnlyFile {
    /// The path the file was opened by.
    package let path: String
    /// The open descriptor.
    package let descriptor: Int32
    /// `st_size` when opened (meaningful for regular files).
    package let size: Int64
    /// Whether it is a regular file (so `size` is its length), not a pipe or a device.
    package let isRegularFile: Bool

    /// Opens `path` read-only (close-on-exec) and reads its status.
    package init(path: String) throws(SystemCallError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SystemCallError("fstat")
            close(fd)
            throw error
        }
        descriptor = fd
        size = Int64(info.st_size)
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Takes over `descriptor`, already open for reading (it closes it), and reads its status;
    /// `path` names it in errors. On failure the descriptor stays the caller's.
    package init(adopting descriptor: Int32, path: String) throws(SystemCallError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SystemCallError("fstat") }
        self.path = path
        self.descriptor = descriptor
        size = Int64(info.st_size)
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at the file position (one `read`); 0 at the end of the file.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(SystemCallError) -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemCallError("read")
        }
    }

    /// Reads `count` bytes from `offset` without moving the file position (so several readers can
    /// share the file); fewer only at the end of the file.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws(SystemCallError) -> Int {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer + done, count - done, off_t(offset) + off_t(done))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("pread")
            }
            done += n
        }
        return done
    }

    /// Moves the file position `count` bytes ahead; false when the descriptor cannot seek.
    package func seek(by count: Int) -> Bool {
        lseek(descriptor, off_t(count), SEEK_CUR) >= 0
    }
}

/// Writes all `count` bytes to `descriptor`, retrying partial writes and `EINTR`: the one write
/// loop (RecordIO's output files, the HDF5 reader's memory file and its reply pipe).
package func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawPointer, count: Int) throws(SystemCallError) {
    var done = 0
    while done < count {
        let n = Glibc.write(descriptor, bytes + done, count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw SystemCallError("write")
        }
        done += n
    }
}
