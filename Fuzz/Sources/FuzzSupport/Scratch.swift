import Glibc

/// Files for harnesses whose reader takes a path (TFRecord, idx, CIFAR, .gnt, digitStruct, the JSON
/// side files): one private directory per process under `$TMPDIR` (default /tmp), removed at exit.
/// scripts/fuzz.sh sets `TMPDIR` to a folder of its own (in /dev/shm) and removes it when it ends,
/// so a harness that crashes leaves nothing behind.
public enum Scratch {
    /// The directory, made on first use.
    public static let directory: String = {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let path = "\(base)/shardkit-fuzz-\(getpid())"
        mkdir(base, 0o700)
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            fatalError("fuzz harness: cannot make the scratch directory \(path): \(String(cString: strerror(errno)))")
        }
        atexit { removeTree(Scratch.directory) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch directory, replacing what was there, and returns its path.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        let path = "\(directory)/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("fuzz harness: short write to \(path)") }
            done += n
        }
        return path
    }

    /// The path of `name` in the scratch directory.
    public static func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Removes `path` (below the scratch directory) and everything below it, if it is there.
    public static func remove(_ path: String) { removeTree(path) }

    /// Makes a directory (below the scratch directory) if it is not there.
    public static func makeDirectory(_ path: String) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            fatalError("fuzz harness: cannot make \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// The fuzzer's input as a buffer (an empty input may come with a null pointer).
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: size > 0 ? UnsafeRawPointer(data) : nil, count: size)
}

/// Stops the run as a crash when a harness's own consistency check fails, naming the check, so
/// libFuzzer saves the input like any other crash.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz check failed: \(message())") }
}

/// Removes `path` and everything below it. Names are taken as the bytes the file system holds
/// (a harness may make names that are not UTF-8, which a `String` would not give back).
private func removeTree(_ path: String) { removeTree(Array(path.utf8)) }

/// A path's bytes as C functions take them, 0-terminated (any bytes but 0, UTF-8 or not).
public func cString(_ path: [UInt8]) -> [CChar] { path.map { CChar(bitPattern: $0) } + [0] }

private func removeTree(_ path: [UInt8]) {
    if let dir = opendir(cString(path)) {
        while let entry = readdir(dir) {
            // In place (`&`): a copy of `d_name` would read all 256 bytes, past a short record.
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard name != [0x2E] && name != [0x2E, 0x2E] else { continue }
            let child = path + [UInt8(ascii: "/")] + name
            if entry.pointee.d_type == UInt8(DT_DIR) {
                removeTree(child)
            } else {
                unlink(cString(child))
            }
        }
        closedir(dir)
    }
    rmdir(cString(path))
}

/// An image decoder's harness: the input's length picks the channels asked for (the file's own,
/// gray or RGB), so every conversion path gets inputs without tripling the cost of each run.
/// `decode` returns the decoded image's width, height, channels and pixel count, or nil on error.
public func checkImageDecoder(
    _ input: UnsafeRawBufferPointer,
    decode: (UnsafeRawBufferPointer, Int?) -> (width: Int, height: Int, channels: Int, pixels: Int)?
) {
    let channels = [nil, 1, 3][input.count % 3]
    guard let image = decode(input, channels) else { return }
    fuzzCheck(image.pixels == image.width * image.height * image.channels, "pixel count")
    fuzzCheck(channels == nil || image.channels == channels, "channels asked for were not delivered")
}
