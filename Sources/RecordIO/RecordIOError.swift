package import ShardKitSupport
/// An error reading or writing TFRecord files, with the file, the record and the byte offset.
///
/// `byteOffset` is the offset of the start of the record (its 8-byte length field). For compressed
/// files it is an offset in the decompressed stream.
public struct RecordIOError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file ends inside a record: `expected` bytes of the record were needed (the 12-byte
        /// header, or the whole record of 16 + length bytes), `found` were present.
        case truncated(expected: Int, found: Int)
        /// The length field's checksum does not match: `expected` is the CRC stored in the file
        /// (unmasked), `found` the CRC of the 8 length bytes.
        case lengthChecksumMismatch(expected: UInt32, found: UInt32)
        /// The file's first 12 bytes are no TFRecord header (their checksum does not hold): the
        /// file is not a TFRecord file, or its compression was not recognised.
        case notTFRecord
        /// The payload's checksum does not match: stored (unmasked) versus computed.
        case payloadChecksumMismatch(expected: UInt32, found: UInt32)
        /// The length field is larger than the reader's maximum record length. `remaining` is what
        /// is left of an uncompressed file after the header; for compressed streams, whose
        /// remaining size is unknown, it is the maximum record length.
        case lengthTooLarge(length: UInt64, remaining: UInt64)
        /// A system call failed, with the reason.
        case io(String)
        /// The compressed stream is damaged or cut short.
        case compression(String)
        /// The API was used in a way that cannot produce a valid output.
        case invalidArgument(String)
        /// An index promised a record of `expected` framed bytes (16 + payload) at this offset, but
        /// the record framed there has `found`.
        case locationMismatch(expected: Int64, found: UInt64)
    }

    public var path: String
    /// The index of the record (0-based, counting skipped records), when the error concerns one.
    public var recordIndex: Int?
    /// The offset of the record's first byte (decompressed-stream offset for compressed files).
    public var byteOffset: Int64?
    public var kind: Kind

    public init(path: String, recordIndex: Int? = nil, byteOffset: Int64? = nil, kind: Kind) {
        self.path = path
        self.recordIndex = recordIndex
        self.byteOffset = byteOffset
        self.kind = kind
    }

    public var description: String {
        var location = path
        if let recordIndex {
            location += ": record \(recordIndex)"
            if let byteOffset { location += " at byte \(byteOffset)" }
        } else if let byteOffset {
            location += ": at byte \(byteOffset)"
        }
        return "\(location): \(reason)"
    }

    /// What went wrong, without the place (file, record, offset) that `description` adds.
    public var reason: String {
        switch kind {
        case .truncated(let expected, let found):
            return "truncated record (expected \(expected) bytes, found \(found))"
        case .notTFRecord:
            return "not a TFRecord file: its first 12 bytes are not a record header (length and its checksum)"
        case .lengthChecksumMismatch(let expected, let found):
            return "length checksum mismatch (expected \(Hex.literal(expected)), found \(Hex.literal(found)))"
        case .payloadChecksumMismatch(let expected, let found):
            return "payload checksum mismatch (expected \(Hex.literal(expected)), found \(Hex.literal(found)))"
        case .lengthTooLarge(let length, let remaining):
            return "record length \(length) is larger than the \(remaining) bytes that can follow"
        case .io(let reason):
            return reason
        case .compression(let reason):
            return "compressed stream: \(reason)"
        case .invalidArgument(let reason):
            return reason
        case .locationMismatch(let expected, let found):
            return "the index gives a record of \(expected) bytes here, but the record framed here has \(found) (16 + payload)"
        }
    }
}

extension RecordIOError: CategorizedError {
    /// A failed system call is an output failure when writing and missing input when reading;
    /// the error does not know which, so callers that write wrap it (see `DatasetError`). Here it
    /// counts as missing input; damaged records are malformed input.
    package var category: ErrorCategory {
        switch kind {
        case .io: .missingInput
        case .invalidArgument: .usage
        case .truncated, .lengthChecksumMismatch, .payloadChecksumMismatch, .lengthTooLarge, .compression, .notTFRecord,
            .locationMismatch:
            .malformedInput
        }
    }
}
