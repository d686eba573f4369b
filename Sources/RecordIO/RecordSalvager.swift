/// A stretch of a TFRecord file that held no usable record: where it starts, what failed there,
/// how many bytes were given up and where reading went on.
public struct RecordDamage: Sendable, Equatable, CustomStringConvertible {
    /// What failed, with the file, the index of the record that failed (see `RecordSalvager` for
    /// how indices count past damage) and the byte offset of its first byte (decompressed-stream
    /// offset for compressed files).
    public var error: RecordIOError
    /// The bytes given up from `error.byteOffset` on; nil when the size is unknown (the rest of a
    /// damaged compressed stream).
    public var byteCount: Int64?
    /// The offset of the next good record; nil when the rest of the file was given up.
    public var resumedAt: Int64?
    /// After a lost length: how many bytes were scanned for the next good record without finding
    /// one (the scan limit, or what was left of the file); nil when no scan failed.
    public var scannedWithoutRecord: Int64?

    /// A damaged stretch: what failed there, how many bytes it covers, and where reading went on.
    public init(error: RecordIOError, byteCount: Int64?, resumedAt: Int64?, scannedWithoutRecord: Int64? = nil) {
        self.error = error
        self.byteCount = byteCount
        self.resumedAt = resumedAt
        self.scannedWithoutRecord = scannedWithoutRecord
    }

    /// The record index of the damage.
    public var recordIndex: Int { error.recordIndex ?? 0 }
    /// The byte offset where the damage starts.
    public var byteOffset: Int64 { error.byteOffset ?? 0 }

    /// What failed and what was given up, without the file: `payload checksum mismatch (…);
    /// 1,234 bytes dropped` or `…; the rest of the file is dropped`.
    public var reason: String {
        var text = error.reason
        if let scannedWithoutRecord { text += "; no record checks out in the \(scannedWithoutRecord) bytes after it" }
        if let resumedAt {
            text += "; dropped \(byteCount ?? resumedAt - byteOffset) bytes, reading went on at byte \(resumedAt)"
        } else if let byteCount {
            text += "; the rest of the file (\(byteCount) bytes) is dropped"
        } else {
            text += "; the rest of the file is dropped"
        }
        return text
    }

    /// `file: record N at byte OFFSET: reason`.
    public var description: String {
        var place = error
        place.kind = .invalidArgument(reason)
        return place.description
    }
}

/// Reads every record whose checksums hold from a TFRecord file that may be damaged, and says
/// what it had to give up, instead of stopping at the first bad record as `RecordReader` does.
///
/// ```swift
/// var salvager = try RecordSalvager(path: path)
/// while let item = try salvager.next() {
///     switch item {
///     case .record(let payload, _): keep(payload)     // zero-copy, valid until the next call
///     case .damage(let damage): report(damage)
///     }
/// }
/// ```
///
/// What happens at each kind of damage (formats/tfrecord.md, "Salvaging a damaged file"):
/// - **Payload checksum fails, length checksum holds**: the framing is intact. The record is
///   given up and reading goes on right after it.
/// - **Length checksum fails** (or a length above the maximum, which only a forged checksum can
///   give): the record boundaries are lost. In an uncompressed file the salvager scans forward
///   byte by byte for the next offset where a whole record checks out: a length whose masked
///   CRC holds, that fits in the file, and a payload whose masked CRC holds too. Requiring both
///   checksums makes a false match about 2⁻⁶⁴ per offset for data that is not itself TFRecord
///   framing (a payload that embeds TFRecord bytes can still fool it). The scan stops after
///   `maxResyncScan` bytes; then the rest of the file is given up. Records in the skipped bytes
///   cannot be told apart, so the whole stretch is one damage and counts as one record.
/// - **The file ends inside a record** (a truncated file): the partial record is given up.
/// - **Compressed files** (GZIP, ZLIB): damage in a deflate stream garbles everything after it,
///   so a lost length or a damaged stream gives up the rest of the file; a payload checksum
///   failure with an intact length only drops that record.
///
/// `recordIndex` counts records returned and damages reported: each damage counts as one record,
/// so indices are exact as long as each damaged stretch held one record (a changed byte, a
/// truncated end), and offsets are always exact.
///
/// Errors thrown are those that stop reading altogether: the file cannot be opened or read.
public struct RecordSalvager {
    /// Limits of the salvage: what counts as a plausible length, how far to look for the next record.
    public struct Options: Sendable {
        /// Lengths above this are treated as damage without any allocation (default 2 GiB).
        public var maxRecordLength: UInt64
        /// How far past a record whose length checksum fails to look for the next good record
        /// before giving up the rest of the file (default 64 MiB).
        public var maxResyncScan: Int64
        /// Size of the read buffer (default 1 MiB).
        public var bufferSize: Int

        /// The defaults: 2 GiB lengths at most, 64 MiB of scanning, a 1 MiB buffer.
        public init(maxRecordLength: UInt64 = 2 << 30, maxResyncScan: Int64 = 64 << 20, bufferSize: Int = 1 << 20) {
            self.maxRecordLength = maxRecordLength
            self.maxResyncScan = maxResyncScan
            self.bufferSize = bufferSize
        }
    }

    /// One step through the file.
    public enum Item {
        /// A record whose checksums hold: its payload (valid until the next call) and the offset
        /// of its first byte.
        case record(UnsafeRawBufferPointer, offset: Int64)
        /// A stretch given up.
        case damage(RecordDamage)
    }

    private let source: InputSource
    /// The shard being read.
    public let path: String
    /// The compression in use (detected from the first bytes when `init` got `nil`).
    public let compression: Compression
    /// The limits this salvage runs with.
    public let options: Options
    /// Records returned plus damages reported so far.
    public private(set) var recordIndex = 0
    /// True once the end of the file, or damage that gives up the rest of it, was reached.
    public private(set) var ended = false

    /// Opens `path`; `compression: nil` detects it as `RecordReader` does.
    public init(path: String, compression: Compression? = nil, options: Options = Options()) throws(RecordIOError) {
        self.path = path
        self.options = options
        let file = try ReadableFile(path: path)
        let resolved: Compression
        if let compression { resolved = compression } else { resolved = try RecordReader.detectCompression(file) }
        self.compression = resolved
        source = try InputSource(file: file, compression: resolved, bufferSize: options.bufferSize)
    }

    /// The next record or damage; nil at the end of the file.
    public mutating func next() throws(RecordIOError) -> Item? {
        guard !ended else { return nil }
        let recordStart = source.streamOffset
        do {
            return try step(recordStart)
        } catch {
            guard case .compression = error.kind else { throw error }
            return giveUpRest(
                RecordIOError(path: path, recordIndex: recordIndex, byteOffset: recordStart, kind: error.kind))
        }
    }

    private func failure(_ kind: RecordIOError.Kind, at offset: Int64) -> RecordIOError {
        RecordIOError(path: path, recordIndex: recordIndex, byteOffset: offset, kind: kind)
    }

    /// Bytes of an uncompressed file from `offset` to its end.
    private func bytesLeft(from offset: Int64) -> Int64 { max(0, source.file.size - offset) }

    private mutating func step(_ recordStart: Int64) throws(RecordIOError) -> Item? {
        guard try source.fill(atLeast: Framing.headerSize) else {
            if source.available == 0 {
                ended = true
                return nil
            }
            return giveUpRest(
                failure(.truncated(expected: Framing.headerSize, found: source.available), at: recordStart))
        }
        let header = source.window
        let length = Framing.loadUInt64(header, 0)
        let stored = CRC32C.unmask(Framing.loadUInt32(header, 8))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(start: header, count: 8))
        if stored != computed {
            return try resynchronise(
                after: failure(.lengthChecksumMismatch(expected: stored, found: computed), at: recordStart))
        }
        if length > options.maxRecordLength {
            let remaining = source.isCompressed ? options.maxRecordLength : UInt64(bytesLeft(from: recordStart + 12))
            return try resynchronise(
                after: failure(.lengthTooLarge(length: length, remaining: remaining), at: recordStart))
        }
        let total = Int(length) + 16
        if !source.isCompressed && Int64(total) > bytesLeft(from: recordStart) {
            return giveUpRest(
                failure(.truncated(expected: total, found: Int(bytesLeft(from: recordStart))), at: recordStart))
        }
        guard try source.fill(atLeast: total) else {
            return giveUpRest(failure(.truncated(expected: total, found: source.available), at: recordStart))
        }
        let frame = source.window
        let payload = UnsafeRawBufferPointer(start: frame + Framing.headerSize, count: Int(length))
        let storedPayload = CRC32C.unmask(Framing.loadUInt32(frame, Framing.headerSize + Int(length)))
        let computedPayload = CRC32C.checksum(payload)
        source.consume(total)
        let error = failure(.payloadChecksumMismatch(expected: storedPayload, found: computedPayload), at: recordStart)
        recordIndex += 1
        if storedPayload != computedPayload {
            return .damage(RecordDamage(error: error, byteCount: Int64(total), resumedAt: recordStart + Int64(total)))
        }
        return .record(payload, offset: recordStart)
    }

    /// Gives up everything from `error`'s offset to the end of the file.
    private mutating func giveUpRest(_ error: RecordIOError, scanned: Int64? = nil) -> Item {
        ended = true
        recordIndex += 1
        let count: Int64? = source.isCompressed ? nil : bytesLeft(from: error.byteOffset ?? 0)
        return .damage(RecordDamage(error: error, byteCount: count, resumedAt: nil, scannedWithoutRecord: scanned))
    }

    /// After a lost length at `error`'s offset (the window's start): in an uncompressed file,
    /// the first later offset within `maxResyncScan` where a whole record checks out; the window
    /// is left there, so the next call reads that record. Otherwise the rest is given up.
    private mutating func resynchronise(after error: RecordIOError) throws(RecordIOError) -> Item {
        guard !source.isCompressed else { return giveUpRest(error) }
        let start = error.byteOffset ?? source.streamOffset
        let (sum, overflow) = start.addingReportingOverflow(max(0, options.maxResyncScan))
        let limit = overflow ? Int64.max : sum
        source.consume(1)
        while source.streamOffset <= limit, try source.fill(atLeast: Framing.headerSize) {
            // Every offset the window holds a whole header for, without moving the window per byte.
            let (window, first) = (source.window, source.streamOffset)
            let offsets = min(source.available - Framing.headerSize + 1, Int(limit - first) + 1)
            guard let skip = (0..<offsets).first(where: { plausibleLength(window + $0, at: first + Int64($0)) != nil })
            else {
                source.consume(offsets)
                continue
            }
            source.consume(skip)
            if let length = plausibleLength(source.window, at: source.streamOffset),
                try source.fill(atLeast: Int(length) + 16)
            {
                let frame = source.window
                let payload = UnsafeRawBufferPointer(start: frame + Framing.headerSize, count: Int(length))
                if CRC32C.unmask(Framing.loadUInt32(frame, Framing.headerSize + Int(length)))
                    == CRC32C.checksum(payload)
                {
                    recordIndex += 1
                    let resumedAt = source.streamOffset
                    return .damage(RecordDamage(error: error, byteCount: resumedAt - start, resumedAt: resumedAt))
                }
            }
            source.consume(1)
        }
        return giveUpRest(error, scanned: min(options.maxResyncScan, bytesLeft(from: start + 1)))
    }

    /// The length in the header at `header` (which is at `offset` in the file) when the whole
    /// record fits in the file and the length matches its masked CRC; nil otherwise. The bound is
    /// checked first: it costs a comparison and turns away nearly every offset of real data.
    @inline(__always)
    private func plausibleLength(_ header: UnsafeRawPointer, at offset: Int64) -> UInt64? {
        let length = Framing.loadUInt64(header, 0)
        guard length <= options.maxRecordLength, length + 16 <= UInt64(bytesLeft(from: offset)),
            CRC32C.unmask(Framing.loadUInt32(header, 8))
                == CRC32C.checksum(UnsafeRawBufferPointer(start: header, count: 8))
        else { return nil }
        return length
    }
}
