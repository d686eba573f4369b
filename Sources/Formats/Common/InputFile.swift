public import Foundation

/// One raw input file: a file on disk, or a file inside an archive (`ArchiveFile`). The readers
/// take it in place of a path, so they read an archive entry exactly as they read a file, and
/// with `InputDigests` they hash a file on disk while they read it.
public struct InputFile {
    enum Location {
        case disk
        case entry(ArchiveFile, ArchiveEntry)
    }

    /// The file's path, or for an archive entry the archive's path, a slash and the entry's name
    /// (`…/cifar-10-binary.tar.gz/cifar-10-batches-bin/data_batch_1.bin`): errors and records
    /// name it, and its last component is the file's own name either way.
    public let path: String
    /// The last path component, e.g. `data_batch_1.bin`.
    public let name: String
    let location: Location
    let digests: InputDigests?

    /// A file on disk; with `digests`, hashed as it is read.
    public init(disk url: URL, digests: InputDigests? = nil) {
        path = url.path
        name = url.lastPathComponent
        location = .disk
        self.digests = digests
    }

    /// A file inside `archive` (hashed as part of the archive).
    public init(entry: ArchiveEntry, of archive: ArchiveFile) {
        path = archive.path + "/" + entry.name
        name = entry.fileName
        location = .entry(archive, entry)
        digests = nil
    }

    /// The archive holding the file, or nil for a file on disk.
    public var archive: ArchiveFile? {
        if case .entry(let archive, _) = location { return archive }
        return nil
    }

    /// A `file://` URL of `path` (for an archive entry, a path that is not on disk).
    public var url: URL { URL(fileURLWithPath: path) }

    /// The size without reading the data: the file's, or the one the entry's header gives.
    public var size: Int? {
        switch location {
        case .disk:
            return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        case .entry(_, let entry):
            return entry.size
        }
    }

    /// A buffered stream of the file's bytes: a file on disk is decompressed when it is gzip
    /// (by its first bytes, as `ByteInput(path:)` does); an archive entry is read as stored.
    func open() throws(FormatError) -> ByteInput {
        switch location {
        case .disk:
            return try ByteInput(path: path, digests: digests)
        case .entry(let archive, let entry):
            return ByteInput(path: path, source: ArchiveEntrySource(archive: archive, entry: entry))
        }
    }

    /// A buffered stream of the file's data, gunzipped when it starts with 1F 8B (by its bytes,
    /// not its name), that can be read beside other files: an archive entry gets a reader of
    /// its own (`ArchiveFile.separateReader`), so an idx image file and its label file in one
    /// zip stream side by side, neither held whole.
    func openDecompressed() throws(FormatError) -> ByteInput {
        switch location {
        case .disk:
            return try ByteInput(path: path, digests: digests)
        case .entry(let archive, let entry):
            return try ByteInput(path: path, sniffing: ArchiveEntrySource(archive: archive, entry: entry, separate: true))
        }
    }

    /// The first `count` bytes (fewer when the file is shorter), e.g. to recognize a magic number;
    /// an archive entry is read only that far.
    public func prefix(_ count: Int) throws(FormatError) -> [UInt8] {
        let input: ByteInput
        switch location {
        case .disk: input = try ByteInput(path: path, source: FileSource(path: path))
        case .entry: input = try open()
        }
        return try input.read(count: count)
    }

    /// Every byte of the file as stored (for small files: class names, a PNG, digitStruct.mat).
    public func contents() throws(FormatError) -> [UInt8] {
        switch location {
        case .disk:
            let file = try FileSource(path: path)
            let source: any ChunkSource = digests.map { HashingFileSource(file: file, digests: $0) } ?? file
            return try readToEnd(sizeHint: file.knownSize) { buffer throws(FormatError) in try source.fill(buffer) }
        case .entry(let archive, let entry):
            if let kept = archive.keptData(entry) { return kept }
            return try ArchiveFile.readAll(archive.position(at: entry), entry: entry)
        }
    }
}

/// The most `readToEnd` allocates on a size hint alone. A hint is a claim (an archive entry's
/// header may announce 4 GiB in a 2 KiB zip); memory beyond this follows the bytes that arrive.
let readToEndHintLimit = 1 << 20

/// Every byte `fill` gives until it returns 0, in an array sized from `sizeHint` (up to
/// `readToEndHintLimit`) and grown only when the data turn out longer (so an exact hint costs no
/// second allocation).
func readToEnd(sizeHint: Int?, _ fill: (UnsafeMutableRawBufferPointer) throws(FormatError) -> Int)
    throws(FormatError) -> [UInt8]
{
    var bytes = [UInt8](repeating: 0, count: min(max(sizeHint ?? 0, 0), readToEndHintLimit))
    var count = 0
    var probe = [UInt8](repeating: 0, count: 4096)
    while true {
        if count == bytes.count {
            // Full: is there more? Ask with a small buffer before growing the big one.
            let n = try typed { try probe.withUnsafeMutableBytes { try fill($0) } }
            if n == 0 { break }
            bytes.append(contentsOf: probe[0..<n])
            bytes.append(contentsOf: repeatElement(0, count: max(1 << 16, bytes.count / 2)))
            count += n
            continue
        }
        let n = try typed {
            try bytes.withUnsafeMutableBytes { try fill(UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
        }
        if n == 0 { break }
        count += n
    }
    bytes.removeSubrange(count...)
    return bytes
}
