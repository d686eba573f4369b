/// Reads TFRecord files record by record with bounded memory (one record plus fixed buffers),
/// verifying both CRCs of every record.
///
/// ```swift
/// var reader = try RecordReader(path: path)
/// while let payload = try reader.nextRecord() { use(payload) }  // zero-copy, valid until the next call
/// ```
/// A clean end of file gives `nil`; a file that ends inside a record, a checksum mismatch, an
/// impossible length, or a damaged compressed stream throw a `RecordIOError` naming the file, the
/// record index and the byte offset of the record. After an error the reader keeps throwing it.
///
/// Copies of a reader share one file position and buffer: use one copy.
public struct RecordReader {
    public struct Options: Sendable {
        /// Check the length and payload CRCs (default true).
        public var verifyChecksums: Bool
        /// Skip records whose payload CRC fails but whose length CRC holds, counting them in
        /// `skippedRecords`, instead of throwing.
        public var skipCorrupt: Bool
        /// Lengths above this are `lengthTooLarge` without any allocation (default 2 GiB).
        public var maxRecordLength: UInt64
        /// Size of the read buffer (default 1 MiB).
        public var bufferSize: Int
        /// For GZIP files: note where each gzip member begins (`gzipMemberStarts`), so that an index
        /// of member offsets can be checked against the file.
        public var tracksGzipMembers: Bool

        public init(
            verifyChecksums: Bool = true, skipCorrupt: Bool = false, maxRecordLength: UInt64 = 2 << 30,
            bufferSize: Int = 1 << 20, tracksGzipMembers: Bool = false
        ) {
            self.verifyChecksums = verifyChecksums
            self.skipCorrupt = skipCorrupt
            self.maxRecordLength = maxRecordLength
            self.bufferSize = bufferSize
            self.tracksGzipMembers = tracksGzipMembers
        }
    }

    private let source: InputSource
    public let path: String
    /// The compression in use (detected from the first bytes when `init` got `nil`).
    public let compression: Compression
    public let options: Options
    /// Records seen so far, skipped ones included (the index of the next record).
    public private(set) var recordIndex = 0
    /// Records skipped in `skipCorrupt` mode.
    public private(set) var skippedRecords = 0
    /// The first `maxSkipReports` skipped records' errors (file, index, offset, both CRCs), so a
    /// verifier can name every bad record without holding an unbounded list.
    public private(set) var skipReports: [RecordIOError] = []
    /// How many skipped records `skipReports` keeps.
    public static let maxSkipReports = 10_000
    /// Offset of the last record returned (decompressed-stream offset for compressed files).
    public private(set) var lastRecordOffset: Int64 = -1
    private var failure: RecordIOError?

    /// Opens `path`. `compression: nil` detects it: gzip by its magic bytes 1F 8B, zlib by a first
    /// byte 0x78 with (CMF×256 + FLG) divisible by 31. Since a plain file's first byte is the low
    /// byte of a length, a plain file can start the same way (e.g. a 376-byte first record); so
    /// when the first 12 bytes read as a plain header whose masked length CRC is valid, the file
    /// is taken as plain (a false match has probability 2⁻³²).
    public init(path: String, compression: Compression? = nil, options: Options = Options()) throws(RecordIOError) {
        self.path = path
        self.options = options
        let file = try ReadableFile(path: path)
        let resolved: Compression
        if let compression { resolved = compression } else { resolved = try Self.detectCompression(file) }
        self.compression = resolved
        source = try InputSource(
            file: file, compression: resolved, bufferSize: options.bufferSize, tracksGzipMembers: options.tracksGzipMembers)
    }

    /// With `Options.tracksGzipMembers`, where each gzip member read so far begins, in order (the
    /// first at 0, 0); empty otherwise.
    package var gzipMemberStarts: [GzipMemberStart] { source.gzipMemberStarts }

    /// The compression of a file, judged from its first bytes as `init(path:compression: nil)` does.
    public static func detectCompression(path: String) throws(RecordIOError) -> Compression {
        try detectCompression(ReadableFile(path: path))
    }

    static func detectCompression(_ file: ReadableFile) throws(RecordIOError) -> Compression {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 8)
        defer { raw.deallocate() }
        let n = try file.read(into: raw, count: 12, at: 0)
        let head = [UInt8](UnsafeRawBufferPointer(start: raw, count: 12))
        guard n >= 2 else { return .none }
        let candidate: Compression
        if head[0] == 0x1F && head[1] == 0x8B {
            candidate = .gzip
        } else if head[0] == 0x78 && (UInt16(head[0]) << 8 | UInt16(head[1])) % 31 == 0 {
            candidate = .zlib
        } else {
            return .none
        }
        if n == 12 {
            let plainHeader = head.withUnsafeBytes { bytes in
                CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<8])))
                    == Framing.loadUInt32(bytes.baseAddress!, 8)
            }
            if plainHeader { return .none }
        }
        return candidate
    }

    private func error(_ kind: RecordIOError.Kind, at offset: Int64) -> RecordIOError {
        RecordIOError(path: path, recordIndex: recordIndex, byteOffset: offset, kind: kind)
    }

    /// The next payload without copying: valid until the next call on this reader. `nil` at a
    /// clean end of file.
    public mutating func nextRecord() throws(RecordIOError) -> UnsafeRawBufferPointer? {
        if let failure { throw failure }
        do {
            return try readRecord()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func readRecord() throws(RecordIOError) -> UnsafeRawBufferPointer? {
        while true {
            let recordStart = source.streamOffset
            guard try source.fill(atLeast: Framing.headerSize) else {
                if source.available == 0 { return nil }
                throw error(.truncated(expected: Framing.headerSize, found: source.available), at: recordStart)
            }
            let header = source.window
            let length = Framing.loadUInt64(header, 0)
            if options.verifyChecksums, let (stored, computed) = Framing.lengthChecksumMismatch(header) {
                // At the very start of a file, this is no damaged record but no TFRecord file.
                throw error(
                    recordStart == 0 ? .notTFRecord : .lengthChecksumMismatch(expected: stored, found: computed),
                    at: recordStart)
            }
            let fileRemaining: UInt64? =
                source.isCompressed ? nil : UInt64(max(0, source.file.size - recordStart - Int64(Framing.headerSize)))
            if length > options.maxRecordLength {
                throw error(
                    .lengthTooLarge(length: length, remaining: fileRemaining ?? options.maxRecordLength),
                    at: recordStart)
            }
            let total = Int(length) + 16
            if let fileRemaining, length + 4 > fileRemaining {
                throw error(
                    .truncated(expected: total, found: Int(fileRemaining) + Framing.headerSize), at: recordStart)
            }
            guard try source.fill(atLeast: total) else {
                throw error(.truncated(expected: total, found: source.available), at: recordStart)
            }
            let frame = source.window
            let payload = UnsafeRawBufferPointer(start: frame + Framing.headerSize, count: Int(length))
            if options.verifyChecksums, let (stored, computed) = Framing.payloadChecksumMismatch(frame, length: Int(length)) {
                if options.skipCorrupt {
                    if skipReports.count < Self.maxSkipReports {
                        skipReports.append(
                            error(.payloadChecksumMismatch(expected: stored, found: computed), at: recordStart))
                    }
                    source.consume(total)
                    recordIndex += 1
                    skippedRecords += 1
                    continue
                }
                throw error(.payloadChecksumMismatch(expected: stored, found: computed), at: recordStart)
            }
            source.consume(total)
            recordIndex += 1
            lastRecordOffset = recordStart
            return payload
        }
    }

    /// The next payload as a new array; `nil` at a clean end of file.
    public mutating func next() throws(RecordIOError) -> [UInt8]? {
        guard let payload = try nextRecord() else { return nil }
        return [UInt8](payload)
    }

    /// Calls `body` with every remaining payload (zero-copy, valid during the call).
    public mutating func forEach(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while let payload = try nextRecord() { try body(payload) }
    }
}

/// One TFRecord file opened to read single records at known places (from an index), without
/// reading what comes before them: one `pread` for a record of a plain file, and for a GZIP file
/// written as a sequence of members, the inflation of the record's member up to the record's end.
/// Both CRCs of the record are checked, and its framed length against the one the index gave.
///
/// The file stays open while the value lives. `@unchecked Sendable`: its only state is the open
/// descriptor, never changed, and reads use `pread`, which moves no shared position; so one value
/// may serve calls from several threads.
public final class RecordFile: @unchecked Sendable {
    public let path: String
    private let file: ReadableFile
    /// Lengths above this are `lengthTooLarge` without any allocation (default 2 GiB).
    public let maxRecordLength: UInt64

    public init(path: String, maxRecordLength: UInt64 = 2 << 30) throws(RecordIOError) {
        self.path = path
        self.maxRecordLength = maxRecordLength
        file = try ReadableFile(path: path)
    }

    /// The file's size in bytes when it was opened.
    public var size: Int64 { file.size }

    /// The payload of the record at `location`: at `location.offset` of a plain file, or, when
    /// `location.member` is set, at `offsetInMember` of that gzip member's decompressed data.
    /// `recordIndex` only goes into errors.
    public func record(at location: RecordLocation, recordIndex: Int? = nil) throws(RecordIOError) -> [UInt8] {
        func failure(_ kind: RecordIOError.Kind) -> RecordIOError {
            RecordIOError(path: path, recordIndex: recordIndex, byteOffset: location.offset, kind: kind)
        }
        let framed = location.length
        guard framed >= Int64(RecordWriter.overhead), location.offset >= 0 else {
            throw failure(.locationMismatch(expected: framed, found: 0))
        }
        if UInt64(framed - Int64(RecordWriter.overhead)) > maxRecordLength {
            throw failure(.lengthTooLarge(length: UInt64(framed - Int64(RecordWriter.overhead)), remaining: maxRecordLength))
        }
        let count = Int(framed)
        let frame = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
        defer { frame.deallocate() }
        if let member = location.member {
            try MemberInflater.read(
                file, memberAt: member.fileOffset, skip: member.offsetInMember, into: frame, count: count,
                recordIndex: recordIndex, streamOffset: location.offset)
        } else {
            let got = try file.read(into: frame, count: count, at: location.offset)
            guard got == count else { throw failure(.truncated(expected: count, found: got)) }
        }
        if let (stored, computed) = Framing.lengthChecksumMismatch(frame) {
            throw failure(.lengthChecksumMismatch(expected: stored, found: computed))
        }
        let length = Framing.loadUInt64(frame, 0)
        guard length == UInt64(count - RecordWriter.overhead) else {
            throw failure(.locationMismatch(expected: framed, found: length &+ UInt64(RecordWriter.overhead)))
        }
        if let (stored, computed) = Framing.payloadChecksumMismatch(frame, length: Int(length)) {
            throw failure(.payloadChecksumMismatch(expected: stored, found: computed))
        }
        return [UInt8](UnsafeRawBufferPointer(start: frame + Framing.headerSize, count: Int(length)))
    }
}
