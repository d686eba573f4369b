import Glibc
internal import ShardKitSupport

/// "read failed: Input/output error": a failed call as `errnoMessage` words it.
private func failureMessage(_ error: SystemCallError) -> String {
    "\(error.operation) failed: \(error.reason)"
}

package func errnoMessage(_ operation: String) -> String {
    "\(operation) failed: \(String(cString: strerror(errno)))"
}

/// A file opened for reading, for TFRecord files, shards and index files: ShardKitSupport's
/// `ReadOnlyFile` (the one file-reading layer), its failures as `RecordIOError`s.
package final class ReadableFile {
    private let file: ReadOnlyFile
    package var path: String { file.path }
    package var size: Int64 { file.size }

    package init(path: String) throws(RecordIOError) {
        do {
            file = try ReadOnlyFile(path: path)
        } catch {
            throw RecordIOError(path: path, kind: .io(failureMessage(error)))
        }
    }

    /// Reads up to `count` bytes; 0 at end of file.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(RecordIOError) -> Int {
        do {
            return try file.read(into: buffer, count: count)
        } catch {
            throw RecordIOError(path: path, kind: .io(failureMessage(error)))
        }
    }

    /// Reads up to `count` bytes at `offset` without moving the file position.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws(RecordIOError) -> Int {
        do {
            return try file.read(into: buffer, count: count, at: offset)
        } catch {
            throw RecordIOError(path: path, kind: .io(failureMessage(error)))
        }
    }
}

/// A file opened for writing (created or truncated); closed in `deinit`. The corresponding C
/// functions are `open`, `write`, `fsync` and `close`.
package final class WritableFile {
    package let path: String
    private(set) var descriptor: Int32

    package init(path: String) throws(RecordIOError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RecordIOError(path: path, kind: .io(errnoMessage("open"))) }
        descriptor = fd
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Writes all `count` bytes, retrying partial writes.
    package func write(_ bytes: UnsafeRawPointer, count: Int) throws(RecordIOError) {
        do {
            try writeAll(descriptor, bytes, count: count)
        } catch {
            throw RecordIOError(path: path, kind: .io(failureMessage(error)))
        }
    }

    package func sync() throws(RecordIOError) {
        guard fsync(descriptor) == 0 else { throw RecordIOError(path: path, kind: .io(errnoMessage("fsync"))) }
    }

    package func close() throws(RecordIOError) {
        guard descriptor >= 0 else { return }
        let result = Glibc.close(descriptor)
        descriptor = -1
        guard result == 0 else { throw RecordIOError(path: path, kind: .io(errnoMessage("close"))) }
    }
}

/// Renames `from` to `to` (replacing `to`). The corresponding C function is `rename`.
package func renameFile(_ from: String, _ to: String) throws(RecordIOError) {
    guard rename(from, to) == 0 else {
        throw RecordIOError(path: from, kind: .io(errnoMessage("rename to \(to)")))
    }
}

/// Writes a small file so that readers see either nothing or all of it: a hidden temporary
/// file beside it, written whole, fsynced when `durable`, renamed over `path`, and the directory
/// synced. The one way ShardKit writes a side file, a receipt or a manifest.
package func writeFileAtomically(_ bytes: [UInt8], to path: String, durable: Bool = true) throws(RecordIOError) {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let tempPath = joinPath(directory, ".\(name).tmp-\(getpid())")
    do throws(RecordIOError) {
        let file = try WritableFile(path: tempPath)
        var failure: RecordIOError?
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            do throws(RecordIOError) { try file.write(base, count: raw.count) } catch { failure = error }
        }
        if let failure { throw failure }
        if durable { try file.sync() }
        try file.close()
        try renameFile(tempPath, path)
    } catch {
        removeFileQuietly(tempPath)
        throw error
    }
    if durable { syncDirectory(directory) }
}

/// Removes a file if it exists, ignoring errors (for clean-up paths).
package func removeFileQuietly(_ path: String) {
    _ = unlink(path)
}

/// Flushes a directory's entries (after renames) to disk; best effort.
package func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

package func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

package func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
