/// An archive as the authors ship it (`cifar-10-binary.tar.gz`, SVHN's `train.tar.gz`, CASIA's
/// `*_gnt.zip`), read in place: nothing is unpacked to disk.
///
/// `init` reads the archive once from start to end to list its files (and keeps the few small
/// ones asked for, e.g. `batches.meta.txt` or `digitStruct.mat`); for a compressed tar that
/// first pass inflates everything, and it also hashes the archive file (`InputDigests`). Files
/// are then read as streams (`InputFile.entry`), one at a time, through one libarchive reader
/// that moves forward; a file that lies behind the reader's position reopens the archive and
/// reads it from the start again (`passes` counts how often the archive was read).
public final class ArchiveFile {
    /// The archive file.
    public let path: String
    /// The regular files in the archive, in the archive's order.
    public let entries: [ArchiveEntry]
    /// How many times the archive has been read from its start, the listing included.
    package internal(set) var passes = 1
    let digests: InputDigests?
    private var byName: [String: Int] = [:]
    /// Kept data by entry ordinal (not by name: an archive may hold two entries of one name).
    private var captured: [Int: [UInt8]] = [:]
    /// The reader the next entry is read with, positioned after `reader.entry`.
    private var reader: ArchiveReader?
    /// Bumped whenever the reader moves to another entry, so a stream of an earlier entry
    /// knows that its data are gone.
    private(set) var generation = 0

    /// Lists `path` (a tar, compressed or not, or a zip), keeping the data of the entries
    /// `keep` selects (whole, in memory: use it only for small files).
    public init(path: String, digests: InputDigests? = nil, keep: (ArchiveEntry) -> Bool = { _ in false })
        throws(FormatError)
    {
        self.path = path
        self.digests = digests
        let reader = try ArchiveReader(path: path, digests: digests)
        var entries: [ArchiveEntry] = []
        var captured: [Int: [UInt8]] = [:]
        while let (entry, isFile) = try reader.nextHeader() {
            guard isFile else { continue }
            entries.append(entry)
            if keep(entry) { captured[entry.ordinal] = try Self.readAll(reader, entry: entry) }
        }
        self.entries = entries
        self.captured = captured
        for (index, entry) in entries.enumerated() where byName[entry.name] == nil { byName[entry.name] = index }
    }

    /// The file named `name` (the first one, if the archive holds it twice).
    public func entry(_ name: String) -> ArchiveEntry? {
        byName[name].map { entries[$0] }
    }

    /// The data of an entry kept by `init`, handed out once (then released, so a large kept file
    /// such as digitStruct.mat is not held twice); a second read reads the archive again.
    func keptData(_ entry: ArchiveEntry) -> [UInt8]? { captured.removeValue(forKey: entry.ordinal) }

    /// A reader positioned at `entry`, ready for its data: moves the current reader forward, or
    /// opens the archive again when `entry` lies at or behind it.
    func position(at entry: ArchiveEntry) throws(FormatError) -> ArchiveReader {
        generation += 1
        if let current = reader, current.ordinal < entry.ordinal {
            return try advance(current, to: entry)
        }
        reader = nil  // release the old reader's buffers before opening a new one
        let fresh = try ArchiveReader(path: path, digests: digests)
        passes += 1
        reader = fresh
        return try advance(fresh, to: entry)
    }

    /// A reader of its own positioned at `entry`, apart from the shared one: for an entry read
    /// side by side with another of the same archive (an idx image file and its label file in
    /// EMNIST's `gzip.zip`). In a zip this costs a seek to the central directory and one to the
    /// entry; in a compressed tar it inflates everything before the entry again.
    func separateReader(at entry: ArchiveEntry) throws(FormatError) -> ArchiveReader {
        let fresh = try ArchiveReader(path: path, digests: digests)
        passes += 1
        return try advance(fresh, to: entry)
    }

    private func advance(_ reader: ArchiveReader, to entry: ArchiveEntry) throws(FormatError) -> ArchiveReader {
        while let (next, _) = try reader.nextHeader() {
            if next.ordinal == entry.ordinal {
                guard next.name == entry.name else {
                    throw FormatError(
                        .io, path: path, "the archive changed while it was read",
                        expected: "\(entry.name) as entry \(entry.ordinal)", found: next.name)
                }
                return reader
            }
        }
        throw FormatError(
            .truncated, path: path + "/" + entry.name,
            "the archive ends before this entry (it changed while it was read)")
    }

    /// Every byte of the current entry of `reader`.
    static func readAll(_ reader: ArchiveReader, entry: ArchiveEntry) throws(FormatError) -> [UInt8] {
        let bytes = try readToEnd(sizeHint: entry.size) { buffer throws(FormatError) in try reader.read(into: buffer) }
        let count = bytes.count
        if let size = entry.size, count != size {
            throw FormatError(
                .truncated, path: reader.path + "/" + entry.name, offset: count, "archive entry ends early",
                expected: "\(size) bytes", found: "\(count)")
        }
        return bytes
    }

    /// What an input file's first bytes say it is, when it is an archive or a compressed file.
    public enum Kind: String, Sendable {
        /// A gzip stream (`1F 8B`): a `.tar.gz`, or one compressed file.
        case gzip
        /// A bzip2 stream (`BZh`).
        case bzip2
        /// An xz stream (`FD 37 7A 58 5A 00`).
        case xz
        /// A zip archive (`PK 03 04`, or `PK 05 06` when empty).
        case zip
        /// An uncompressed tar (`ustar` at byte 257).
        case tar
        /// ALZip, which libarchive cannot read (CASIA's `HWDB1.1trn_gnt.zip` holds one).
        case alz
    }

    /// Recognizes `bytes` (the first 512 or more bytes of a file) by magic number.
    public static func kind(of bytes: [UInt8]) -> Kind? {
        func starts(_ magic: [UInt8]) -> Bool {
            bytes.count >= magic.count && Array(bytes.prefix(magic.count)) == magic
        }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts(Array("BZh".utf8)) { return .bzip2 }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if starts(Array("PK\u{03}\u{04}".utf8)) || starts(Array("PK\u{05}\u{06}".utf8)) { return .zip }
        if starts(Array("ALZ\u{01}".utf8)) { return .alz }
        if bytes.count >= 262 && Array(bytes[257..<262]) == Array("ustar".utf8) { return .tar }
        return nil
    }

    /// The first `count` bytes of the file at `path` (fewer when it is shorter); empty when it
    /// cannot be read.
    public static func leadingBytes(ofFileAt path: String, count: Int = 512) -> [UInt8] {
        guard let file = try? FileSource(path: path) else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = (try? bytes.withUnsafeMutableBytes { try file.fill($0, at: 0) }) ?? 0
        return Array(bytes.prefix(n))
    }
}

/// One archive entry's data as a `ChunkSource`: moves the archive's reader to the entry on the
/// first read (so a reader opened only for its record count reads nothing), then streams it with
/// `archive_read_data`. Reading it after another entry was opened is an error, not wrong data.
/// A `separate` source reads through a reader of its own instead (`ArchiveFile.separateReader`),
/// so it can be read side by side with other entries.
final class ArchiveEntrySource: ChunkSource {
    private let archive: ArchiveFile
    private let entry: ArchiveEntry
    private let separate: Bool
    private var reader: ArchiveReader?
    private var generation = 0

    init(archive: ArchiveFile, entry: ArchiveEntry, separate: Bool = false) {
        self.archive = archive
        self.entry = entry
        self.separate = separate
    }

    var knownSize: Int? { entry.size }
    var endPhrase: String { "archive entry ends" }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        if separate {
            if reader == nil { reader = try archive.separateReader(at: entry) }
            return try reader!.read(into: buffer)
        }
        if reader == nil {
            reader = try archive.position(at: entry)
            generation = archive.generation
        }
        guard archive.generation == generation, let reader else {
            throw FormatError(
                .io, path: archive.path + "/" + entry.name,
                "read after another entry of the archive was opened (archive entries are read one at a time)")
        }
        return try reader.read(into: buffer)
    }

    func checkCleanEnd(position: Int) throws(FormatError) {
        if let size = entry.size, position < size {
            throw FormatError(
                .truncated, path: archive.path + "/" + entry.name, offset: position, "archive entry ends early",
                expected: "\(size) bytes", found: "\(position)")
        }
    }
}

/// Hands out the data of chosen archive files in an order of the caller's choosing (SVHN's PNGs
/// in digitStruct's order), reading the archive forward. A file the stream meets before its turn
/// is held in memory, up to `budget` bytes in all (those needed soonest are kept); a file that
/// did not fit is read in a later pass over the archive. An archive stored in the order asked
/// for is read once, holding nothing.
public final class ArchiveOrderedReader {
    private let archive: ArchiveFile
    private let order: [ArchiveEntry]
    private let budget: Int
    /// Entry ordinal → the positions in `order` that ask for it, ascending.
    private var wanted: [Int: [Int]] = [:]
    /// Position in `order` → data read ahead of its turn.
    private var held: [Int: [UInt8]] = [:]
    private var heldBytes = 0
    private var cursor = 0
    private var reader: ArchiveReader?
    /// The most bytes held at once so far.
    public private(set) var peakHeldBytes = 0

    /// `order`: entries of `archive` (each may appear more than once). `budget`: the bytes of
    /// files read ahead that may be held at once.
    public init(archive: ArchiveFile, order: [ArchiveEntry], budget: Int = 64 << 20) {
        self.archive = archive
        self.order = order
        self.budget = budget
        for (position, entry) in order.enumerated() { wanted[entry.ordinal, default: []].append(position) }
    }

    /// The next file of `order` and its data; nil after the last.
    public func next() throws(FormatError) -> (entry: ArchiveEntry, data: [UInt8])? {
        guard cursor < order.count else { return nil }
        let position = cursor
        cursor += 1
        let target = order[position]
        if let data = held.removeValue(forKey: position) {
            heldBytes -= data.count
            return (target, data)
        }
        if reader == nil || reader!.ordinal >= target.ordinal {
            reader = nil
            reader = try ArchiveReader(path: archive.path, digests: archive.digests)
            archive.passes += 1
        }
        let reader = reader!
        while let (entry, isFile) = try reader.nextHeader() {
            if entry.ordinal == target.ordinal { return (target, try ArchiveFile.readAll(reader, entry: entry)) }
            guard isFile,
                let later = wanted[entry.ordinal]?.first(where: { $0 > position && held[$0] == nil }),
                let size = entry.size, makeRoom(size, for: later)
            else { continue }
            held[later] = try ArchiveFile.readAll(reader, entry: entry)
            heldBytes += size
            peakHeldBytes = max(peakHeldBytes, heldBytes)
        }
        throw FormatError(
            .truncated, path: archive.path + "/" + target.name,
            "the archive ends before this entry (it changed while it was read)")
    }

    /// Whether `size` more bytes, needed at `position`, can be held: drops files held for later
    /// positions (latest first) when that makes room, and holds nothing when it would not.
    private func makeRoom(_ size: Int, for position: Int) -> Bool {
        guard size <= budget else { return false }
        if heldBytes + size <= budget { return true }
        let later = held.keys.filter { $0 > position }.sorted(by: >)
        let freeable = later.reduce(0) { $0 + held[$1]!.count }
        guard heldBytes - freeable + size <= budget else { return false }
        for key in later where heldBytes + size > budget {
            heldBytes -= held.removeValue(forKey: key)!.count
        }
        return true
    }
}
