internal import CShardKitArchive
internal import Glibc

/// One file inside an archive, as its header describes it.
public struct ArchiveEntry: Sendable, Equatable {
    /// The path inside the archive with any leading `./` removed, e.g.
    /// `cifar-10-batches-bin/data_batch_1.bin`.
    public var name: String
    /// The size the header gives, when it gives one.
    public var size: Int?
    /// Position among all the archive's headers (folders included), 0 first: the order in which
    /// a stream meets the entries.
    public var ordinal: Int

    /// The last component of `name`.
    public var fileName: String { name.split(separator: "/").last.map(String.init) ?? name }
}

/// Reads one archive file from its start through libarchive: tar (plain, gzip, bzip2 or xz) and
/// zip. Owns the `struct archive *` (released with `archive_read_free`) and the open file.
/// libarchive pulls the file's bytes through our read callback, which also gives them to
/// `InputDigests`, so an archive is hashed while it is read. Entries come one at a time in the
/// archive's order; the current entry's data is read with `read(into:)` (`archive_read_data`).
/// Every failure becomes a `FormatError` naming the archive and the entry (`archive_errno`,
/// `archive_error_string`).
///
/// The corresponding C functions: `archive_read_new`, `archive_read_support_filter_*`,
/// `archive_read_support_format_tar`/`_zip`, `archive_read_set_read_callback`,
/// `archive_read_set_seek_callback`, `archive_read_open1`, `archive_read_next_header`,
/// `archive_read_data`, `archive_read_free`, each called through its `shardkit_` wrapper in
/// `CShardKitArchive`, which loads libarchive when the first archive is opened (a missing
/// library is an `.io` error here, not a failure to start).
final class ArchiveReader {
    /// The archive file.
    let path: String
    private let file: FileSource
    private let digests: InputDigests?
    private var archive: OpaquePointer?
    /// What the read callback hands to libarchive; valid until the next callback.
    private let buffer: UnsafeMutableRawBufferPointer
    /// The file offset the next read callback reads from (seeks move it).
    private var position = 0
    /// A failure of our own callback (a read error), reported instead of libarchive's summary.
    private var callbackError: FormatError?
    /// The entry whose data `read(into:)` returns, and how many of its bytes were read.
    private(set) var entry: ArchiveEntry?
    private(set) var entryOffset = 0
    /// The ordinal of the last header read (-1 before the first).
    private(set) var ordinal = -1

    /// Opens `path` and reads far enough to know its format; a file that is no tar or zip
    /// archive is a `.badMagic` error.
    init(path: String, digests: InputDigests?) throws(FormatError) {
        self.path = path
        self.digests = digests
        file = try FileSource(path: path)
        digests?.register(path)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
        guard shardkit_archive_load() == 0 else {
            let why = shardkit_archive_load_error().map { String(cString: $0) } ?? "unknown"
            throw FormatError(.io, path: path, "cannot load libarchive (\(why)); it comes with Debian's libarchive13")
        }
        guard let archive = shardkit_archive_read_new() else {
            throw FormatError(.io, path: path, "libarchive could not allocate a reader")
        }
        self.archive = archive
        shardkit_archive_read_support_filter_gzip(archive)
        shardkit_archive_read_support_filter_bzip2(archive)
        shardkit_archive_read_support_filter_xz(archive)
        shardkit_archive_read_support_format_tar(archive)
        shardkit_archive_read_support_format_zip(archive)
        shardkit_archive_read_set_callback_data(archive, Unmanaged.passUnretained(self).toOpaque())
        shardkit_archive_read_set_read_callback(archive) { _, context, out in
            Unmanaged<ArchiveReader>.fromOpaque(context!).takeUnretainedValue().supply(out!)
        }
        // A zip is read through its central directory, which needs seeks; a compressed tar is
        // never sought in (libarchive reads it through).
        if file.knownSize != nil {
            shardkit_archive_read_set_seek_callback(archive) { _, context, offset, whence in
                Unmanaged<ArchiveReader>.fromOpaque(context!).takeUnretainedValue().seek(offset, whence)
            }
        }
        guard shardkit_archive_read_open1(archive) == ARCHIVE_OK else {
            throw failure(.badMagic, "cannot open as an archive (shardkit reads tar, .tar.gz/.bz2/.xz and zip)")
        }
    }

    deinit {
        if let archive { shardkit_archive_read_free(archive) }
        buffer.deallocate()
    }

    /// libarchive's read callback: the next piece of the file, hashed on the way.
    private func supply(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        do {
            let n = try file.fill(buffer, at: position)
            digests?.observe(path, offset: position, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += n
            out.pointee = UnsafeRawPointer(buffer.baseAddress)
            return n
        } catch {
            callbackError = error
            return -1
        }
    }

    /// libarchive's seek callback (zip's central directory, skipped zip entries).
    private func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        let size = file.knownSize ?? 0
        let target: Int
        switch whence {
        case SEEK_SET: target = Int(offset)
        case SEEK_CUR: target = position + Int(offset)
        case SEEK_END: target = size + Int(offset)
        default: return Int64(ARCHIVE_FATAL)
        }
        guard target >= 0 else { return Int64(ARCHIVE_FATAL) }
        position = target
        return Int64(target)
    }

    /// The next entry's header (folders and links included, `isFile` tells), or nil at the end
    /// of the archive. The previous entry's unread data is skipped.
    func nextHeader() throws(FormatError) -> (entry: ArchiveEntry, isFile: Bool)? {
        var header: OpaquePointer?
        let status = shardkit_archive_read_next_header(archive, &header)
        if status == ARCHIVE_EOF {
            entry = nil
            return nil
        }
        // ARCHIVE_WARN here is about names or attributes (a charset libarchive cannot convert),
        // not data: the entry is still read. Damaged data fails in `read(into:)`.
        guard status >= ARCHIVE_WARN, let header else {
            // The damage may lie in the rest of the previous entry (skipped unread) or in the
            // next header: name the previous entry, without an offset.
            let summary =
                entry == nil ? "cannot read the first entry" : "damaged or cut off in or just after this entry"
            entryOffset = 0
            let error = failure(.compression, summary, offset: false)
            entry = nil
            throw error
        }
        ordinal += 1
        var name =
            shardkit_archive_entry_pathname_utf8(header).map { String(cString: $0) }
            ?? shardkit_archive_entry_pathname(header).map { String(cString: $0) } ?? ""
        while name.hasPrefix("./") { name.removeFirst(2) }
        let size = shardkit_archive_entry_size_is_set(header) != 0 ? Int(shardkit_archive_entry_size(header)) : nil
        let current = ArchiveEntry(name: name, size: size, ordinal: ordinal)
        entry = current
        entryOffset = 0
        return (current, shardkit_archive_entry_is_file(header) != 0)
    }

    /// Decompresses the current entry's next bytes into `destination`; 0 at its end.
    func read(into destination: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        guard entry != nil, destination.count > 0 else { return 0 }
        let n = shardkit_archive_read_data(archive, destination.baseAddress, destination.count)
        // Negative values are failures; ARCHIVE_WARN among them is a zip entry whose CRC does
        // not match, which is damage, not a remark.
        guard n >= 0 else { throw failure(.compression, "archive entry is damaged") }
        entryOffset += n
        return n
    }

    /// The libarchive error of the last call as a `FormatError` on the current entry (or on the
    /// archive when there is none), or the read callback's own error.
    private func failure(_ kind: FormatError.Kind, _ summary: String, offset: Bool = true) -> FormatError {
        var where_ = path
        if let entry { where_ += "/" + entry.name }
        if var error = callbackError {
            error.path = where_
            error.message += " (while reading the archive)"
            return error
        }
        let detail = archive.flatMap { shardkit_archive_error_string($0) }.map { String(cString: $0) } ?? "no detail"
        let code = archive.map { shardkit_archive_errno($0) } ?? 0
        var kind = kind
        let lowered = detail.lowercased()
        if lowered.contains("truncated") || lowered.contains("premature") || lowered.contains("unexpected end") {
            kind = .truncated
        } else if code == EIO {
            kind = .io
        }
        return FormatError(
            kind, path: where_, offset: entry == nil || !offset ? nil : entryOffset, "\(summary): \(detail)")
    }
}
