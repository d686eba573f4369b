// Protobuf wire-format primitives shared by the encoder and decoder (internal).

/// Protobuf wire types.
enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Tags used by the Example family of messages: every known field is length-delimited (wire type 2)
/// except unpacked scalars.
enum Tag {
    static let field1LengthDelimited: UInt8 = 0x0A  // (1 << 3) | 2
    static let field2LengthDelimited: UInt8 = 0x12  // (2 << 3) | 2
    static let field3LengthDelimited: UInt8 = 0x1A  // (3 << 3) | 2
}

/// Number of bytes of the varint encoding of `value`.
@inline(__always)
func varintSize(_ value: UInt64) -> Int {
    // 1 + floor((bits - 1) / 7) where bits = significant bits, at least 1.
    let bits = 64 - (value | 1).leadingZeroBitCount
    return (bits + 6) / 7
}

@inline(__always)
func varintSize(_ value: Int) -> Int { varintSize(UInt64(truncatingIfNeeded: value)) }

/// Size of a length-delimited field with a one-byte tag and a payload of `length` bytes.
@inline(__always)
func fieldSize(payload length: Int) -> Int { 1 + varintSize(length) + length }

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func appendVarint(_ value: Int) { appendVarint(UInt64(truncatingIfNeeded: value)) }
}
