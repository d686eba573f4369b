// Protobuf wire-format constants of the Example messages (varints come from ShardKitSupport).

internal import ShardKitSupport

/// Tags used by the Example family of messages: every known field is length-delimited (wire type 2)
/// except unpacked scalars.
enum Tag {
    static let field1LengthDelimited: UInt8 = 0x0A  // (1 << 3) | 2
    static let field2LengthDelimited: UInt8 = 0x12  // (2 << 3) | 2
    static let field3LengthDelimited: UInt8 = 0x1A  // (3 << 3) | 2
}

/// Size of a length-delimited field with a one-byte tag and a payload of `length` bytes.
@inline(__always)
func fieldSize(payload length: Int) -> Int { 1 + varintSize(length) + length }
