/// Protobuf wire-format writing, shared by the Example codec and the TensorBoard event writer.

/// Number of bytes of the varint encoding of `value`.
@inlinable @inline(__always)
package func varintSize(_ value: UInt64) -> Int {
    // 1 + floor((bits - 1) / 7) where bits = significant bits, at least 1.
    let bits = 64 - (value | 1).leadingZeroBitCount
    return (bits + 6) / 7
}

/// Number of bytes of the varint encoding of `value` (negative values take ten bytes).
@inlinable @inline(__always)
package func varintSize(_ value: Int) -> Int { varintSize(UInt64(truncatingIfNeeded: value)) }

extension Array where Element == UInt8 {
    /// Appends `value` as a base-128 varint, low groups first.
    @inlinable @inline(__always)
    package mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends `value` as a varint of its two's-complement bits.
    @inlinable @inline(__always)
    package mutating func appendVarint(_ value: Int) { appendVarint(UInt64(truncatingIfNeeded: value)) }
}

/// A small protobuf message writer: varint, 64-bit, 32-bit and length-delimited fields, in the
/// order they are written.
package struct ProtobufWriter {
    package var bytes: [UInt8] = []

    package init() {}

    private mutating func tag(_ field: Int, _ wireType: Int) { bytes.appendVarint(UInt64(field << 3 | wireType)) }

    /// A varint field (wire type 0).
    package mutating func varint(_ field: Int, _ value: UInt64) {
        tag(field, 0)
        bytes.appendVarint(value)
    }

    /// A `double` field (wire type 1, little-endian).
    package mutating func double(_ field: Int, _ value: Double) {
        tag(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `float` field (wire type 5, little-endian).
    package mutating func float(_ field: Int, _ value: Float) {
        tag(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A length-delimited field (wire type 2): bytes, a string or a nested message.
    package mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, 2)
        bytes.appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}
