/// Lowercase hexadecimal text for digests and magic numbers, the one writer every module uses.
package enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Two lowercase hex digits per byte, e.g. a SHA-256 digest as 64 characters.
    package static func string<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `0x` and exactly `digitCount` hex digits of `value`, e.g. `0x00000803`.
    package static func literal<Value: BinaryInteger>(_ value: Value, digitCount: Int = 8, uppercase: Bool = false)
        -> String
    {
        let text = String(value, radix: 16, uppercase: uppercase)
        return "0x" + String(repeating: "0", count: max(0, digitCount - text.count)) + text
    }
}
