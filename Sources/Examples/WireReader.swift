// A bounds-checked cursor over a protobuf payload (internal). Every read checks `end` first, so
// malformed input becomes an ExampleDecodingError, never an out-of-bounds read; lengths are checked
// against the bytes actually present before anything is sliced or reserved.

struct WireReader {
    /// The whole payload; offsets in errors are relative to its start.
    let base: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(_ base: UnsafeRawBufferPointer) {
        self.base = base
        self.position = 0
        self.end = base.count
    }

    init(base: UnsafeRawBufferPointer, start: Int, end: Int) {
        self.base = base
        self.position = start
        self.end = end
    }

    @inline(__always)
    var isAtEnd: Bool { position >= end }

    @inline(__always)
    mutating func readVarint() throws(ExampleDecodingError) -> UInt64 {
        if position < end {
            let first = base[position]
            if first < 0x80 {
                position += 1
                return UInt64(first)
            }
        }
        return try readVarintSlow()
    }

    mutating func readVarintSlow() throws(ExampleDecodingError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<10 {
            guard position < end else {
                throw ExampleDecodingError(
                    .truncatedVarint, offset: start, expected: "varint byte \(index + 1)",
                    found: "end of message at offset \(position)")
            }
            let byte = base[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw ExampleDecodingError(
            .varintTooLong, offset: start, expected: "varint of at most 10 bytes",
            found: "continuation bit set on byte 10")
    }

    /// Reads a tag; rejects field number 0, group wire types (3, 4) and undefined wire types (6, 7).
    @inline(__always)
    mutating func readTag() throws(ExampleDecodingError) -> (field: UInt64, wireType: UInt8, offset: Int) {
        let start = position
        let value = try readVarint()
        let wireType = UInt8(truncatingIfNeeded: value & 7)
        let field = value >> 3
        if field == 0 || field > 0x1FFF_FFFF {
            throw ExampleDecodingError(
                .invalidFieldNumber, offset: start, expected: "field number 1...536870911", found: "\(field)")
        }
        switch wireType {
        case 0, 1, 2, 5: return (field, wireType, start)
        case 3, 4:
            throw ExampleDecodingError(
                .groupWireType, offset: start, expected: "wire type 0, 1, 2 or 5",
                found: "group wire type \(wireType) (field \(field))")
        default:
            throw ExampleDecodingError(
                .invalidWireType, offset: start, expected: "wire type 0, 1, 2 or 5",
                found: "wire type \(wireType) (field \(field))")
        }
    }

    /// Reads a length prefix and returns a reader over the next `length` bytes, advancing past them.
    @inline(__always)
    mutating func readLengthDelimited() throws(ExampleDecodingError) -> WireReader {
        let start = position
        let length = try readVarint()
        let remaining = end - position
        guard length <= UInt64(remaining) else {
            throw ExampleDecodingError(
                .lengthBeyondBuffer, offset: start, expected: "length of at most \(remaining) bytes",
                found: "length \(length)")
        }
        let sub = WireReader(base: base, start: position, end: position + Int(length))
        position += Int(length)
        return sub
    }

    /// The bytes between the reader's position and its end.
    @inline(__always)
    var remainingBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: base[position..<end])
    }

    mutating func readFixed32() throws(ExampleDecodingError) -> UInt32 {
        guard end - position >= 4 else {
            throw ExampleDecodingError(
                .truncatedFixed, offset: position, expected: "4 bytes of fixed32",
                found: "\(end - position) bytes before the end of the message")
        }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// Skips the value of an unknown field.
    mutating func skip(wireType: UInt8) throws(ExampleDecodingError) {
        switch wireType {
        case 0: _ = try readVarint()
        case 1:
            guard end - position >= 8 else {
                throw ExampleDecodingError(
                    .truncatedFixed, offset: position, expected: "8 bytes of fixed64",
                    found: "\(end - position) bytes before the end of the message")
            }
            position += 8
        case 2: _ = try readLengthDelimited()
        default: _ = try readFixed32()  // readTag lets only 0, 1, 2, 5 through
        }
    }

    static func wrongWireType(
        _ tag: (field: UInt64, wireType: UInt8, offset: Int), message: String, expected: String
    ) -> ExampleDecodingError {
        ExampleDecodingError(
            .wrongWireType, offset: tag.offset, expected: "\(message) field \(tag.field) with \(expected)",
            found: "wire type \(tag.wireType)")
    }
}

/// Checks that a proto3 `string` is valid UTF-8.
@inline(__always)
func validateKey(_ reader: WireReader) throws(ExampleDecodingError) {
    let bytes = reader.remainingBytes
    for byte in bytes where byte >= 0x80 {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ExampleDecodingError(
                .invalidUTF8Key, offset: reader.position, expected: "a UTF-8 map key",
                found: "\(bytes.count) bytes that are not valid UTF-8")
        }
        return
    }
}

/// Validates a proto3 `string` and makes a String of it.
@inline(__always)
func decodeKey(_ reader: WireReader) throws(ExampleDecodingError) -> String {
    try validateKey(reader)
    return String(decoding: reader.remainingBytes, as: UTF8.self)
}
