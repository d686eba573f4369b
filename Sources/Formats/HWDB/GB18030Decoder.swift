internal import Glibc

/// Decodes two-byte GB2312 tag codes to strings with glibc's `iconv` (GB18030 → UTF-8;
/// GB18030 is a superset of GB2312). Owns the conversion descriptor and closes it in `deinit`;
/// the corresponding C functions are `iconv_open`, `iconv` and `iconv_close`. Results are cached
/// per code, so each distinct code is converted once.
final class GB18030Decoder {
    private let descriptor: iconv_t
    private var cache: [UInt16: String] = [:]

    init() throws(FormatError) {
        let cd = iconv_open("UTF-8", "GB18030")
        guard let cd, Int(bitPattern: cd) != -1 else {
            throw FormatError(.io, path: "iconv", "iconv_open(\"UTF-8\", \"GB18030\") failed")
        }
        descriptor = cd
    }

    deinit {
        iconv_close(descriptor)
    }

    /// The string for `code` (first byte in the high 8 bits), or `nil` when the bytes are not a
    /// complete, valid GB18030 sequence.
    func decode(_ code: UInt16) -> String? {
        if let hit = cache[code] { return hit }
        var input: [CChar] = [CChar(bitPattern: UInt8(code >> 8)), CChar(bitPattern: UInt8(code & 0xFF))]
        var output = [CChar](repeating: 0, count: 16)
        // Reset the shift state so one bad code cannot affect the next.
        iconv(descriptor, nil, nil, nil, nil)
        let converted: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = 2
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                let status = iconv(descriptor, &inPtr, &inLeft, &outPtr, &outLeft)
                guard status != -1 && inLeft == 0 else { return nil }
                return outBuf.count - outLeft
            }
        }
        guard let converted, converted > 0 else { return nil }
        let text = String(decoding: output[0..<converted].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Two bytes must give exactly one character (not two ASCII letters).
        guard text.count == 1, code >= 0x8140 else { return nil }
        cache[code] = text
        return text
    }
}
