// JSON rendering for `shardkit inspect --dump`. Format (documented in formats/example.md):
// {"features": {"<key>": {"<kind>": [values]}, ...}} with keys in byte-wise UTF-8 order; a bytes
// feature whose values are all text (see `JSONBytes.isText`) as {"text": ["..."]}, any other as
// {"bytes": [...]} in standard base64 (RFC 4648, with padding); floats in their shortest round-trip
// form; NaN and the infinities as the strings "NaN", "Infinity", "-Infinity".

internal import ShardKitSupport

extension Example {
    /// One JSON object, keys sorted. With `maxBytesPreview`, a bytes value longer than that many
    /// bytes renders as `{"base64": "<first maxBytesPreview bytes>", "truncated_from": <full length>}`
    /// (text: `{"text": "<as many whole characters as fit>", "truncated_from": <full length>}`).
    /// Bytes features under `binaryKeys` (beside `image`, `image/…` and `…/encoded`, which always
    /// are) stay base64 even when their bytes happen to read as text.
    public func jsonString(maxBytesPreview: Int? = nil, binaryKeys: Set<String> = []) -> String {
        var out = "{\"features\": "
        appendJSON(features, to: &out, maxBytesPreview: maxBytesPreview, binaryKeys: binaryKeys)
        out += "}"
        return out
    }
}

extension SequenceExample {
    /// One JSON object: `{"context": {...}, "feature_lists": {"<key>": [{"<kind>": [...]}, ...]}}`;
    /// bytes as `Example.jsonString` writes them.
    public func jsonString(maxBytesPreview: Int? = nil, binaryKeys: Set<String> = []) -> String {
        var out = "{\"context\": "
        appendJSON(context, to: &out, maxBytesPreview: maxBytesPreview, binaryKeys: binaryKeys)
        out += ", \"feature_lists\": {"
        let keys = featureLists.featureList.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, key) in keys.enumerated() {
            if i > 0 { out += ", " }
            JSONText.appendString(key, to: &out)
            out += ": ["
            let asText = !JSONBytes.isBinaryKey(key, binaryKeys: binaryKeys)
            for (j, feature) in featureLists.featureList[key]!.feature.enumerated() {
                if j > 0 { out += ", " }
                appendJSON(feature, to: &out, maxBytesPreview: maxBytesPreview, textAllowed: asText)
            }
            out += "]"
        }
        out += "}}"
        return out
    }
}

extension Feature {
    /// `{"<kind>": [values]}`; with `textAllowed`, bytes values that are all text as `{"text": [...]}`.
    public func jsonString(maxBytesPreview: Int? = nil, textAllowed: Bool = true) -> String {
        var out = ""
        appendJSON(self, to: &out, maxBytesPreview: maxBytesPreview, textAllowed: textAllowed)
        return out
    }
}

/// When `jsonString` shows bytes as text.
public enum JSONBytes {
    /// True when `bytes` read as text a person can see: valid UTF-8 with no control character
    /// (Unicode category Cc: C0, DEL, C1) other than tab and line feed. Empty bytes are text.
    /// Binary data such as PNG (its signature holds `\r`, `\u{1A}` and 0x89) never passes.
    public static func isText(_ bytes: ArraySlice<UInt8>) -> Bool {
        // ASCII fast path: most text features (file names, ids) are plain ASCII.
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 || $0 == 0x0A }) { return true }
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            scalar == "\t" || scalar == "\n" || scalar.properties.generalCategory != .control
        }
    }

    /// Keys whose bytes are always binary: `image`, `image/…` (TFDS and Object Detection API
    /// names), `…/encoded`, and any in `binaryKeys` (e.g. the image key a manifest names).
    public static func isBinaryKey(_ key: String, binaryKeys: Set<String> = []) -> Bool {
        key == "image" || key.hasPrefix("image/") || key.hasSuffix("/encoded") || binaryKeys.contains(key)
    }
}

func appendJSON(_ features: Features, to out: inout String, maxBytesPreview: Int?, binaryKeys: Set<String>) {
    out += "{"
    let keys = features.feature.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for (i, key) in keys.enumerated() {
        if i > 0 { out += ", " }
        JSONText.appendString(key, to: &out)
        out += ": "
        appendJSON(
            features.feature[key]!, to: &out, maxBytesPreview: maxBytesPreview,
            textAllowed: !JSONBytes.isBinaryKey(key, binaryKeys: binaryKeys))
    }
    out += "}"
}

func appendJSON(_ feature: Feature, to out: inout String, maxBytesPreview: Int?, textAllowed: Bool) {
    if case .bytes(let values) = feature, textAllowed, !values.isEmpty, values.allSatisfy({ JSONBytes.isText($0[...]) }) {
        out += "{\"text\": ["
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            if let limit = maxBytesPreview, value.count > limit {
                out += "{\"text\": "
                JSONText.appendString(String(decoding: utf8Prefix(value, maxBytes: limit), as: UTF8.self), to: &out)
                out += ", \"truncated_from\": \(value.count)}"
            } else {
                JSONText.appendString(String(decoding: value, as: UTF8.self), to: &out)
            }
        }
        out += "]}"
        return
    }
    out += "{\""
    out += feature.kind
    out += "\": ["
    switch feature {
    case .bytes(let values):
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            if let limit = maxBytesPreview, value.count > limit {
                out += "{\"base64\": \""
                out += base64(value.prefix(max(0, limit)))
                out += "\", \"truncated_from\": \(value.count)}"
            } else {
                out += "\""
                out += base64(value[...])
                out += "\""
            }
        }
    case .int64(let values):
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            out += String(value)
        }
    case .float(let values):
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            out += jsonFloat(value)
        }
    }
    out += "]}"
}

/// The longest prefix of the UTF-8 text `bytes` of at most `maxBytes` bytes that ends on a
/// character boundary (never inside a multi-byte sequence).
func utf8Prefix(_ bytes: [UInt8], maxBytes: Int) -> ArraySlice<UInt8> {
    var end = min(max(0, maxBytes), bytes.count)
    while end > 0 && end < bytes.count && bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return bytes[..<end]
}

/// Shortest text that reads back as the same Float; non-finite values as JSON strings.
func jsonFloat(_ value: Float) -> String {
    if value.isNaN { return "\"NaN\"" }
    if value.isInfinite { return value < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
    return value.description  // Swift prints the shortest round-trip form, e.g. 0.1, 1e-45, -0.0
}


private let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Standard base64 (RFC 4648 §4) with `=` padding.
func base64(_ bytes: ArraySlice<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = bytes.startIndex
    while i < bytes.endIndex {
        let remaining = bytes.endIndex - i
        let b0 = UInt32(bytes[i])
        let b1 = remaining > 1 ? UInt32(bytes[i + 1]) : 0
        let b2 = remaining > 2 ? UInt32(bytes[i + 2]) : 0
        let triple = b0 << 16 | b1 << 8 | b2
        out.append(base64Alphabet[Int(triple >> 18 & 63)])
        out.append(base64Alphabet[Int(triple >> 12 & 63)])
        out.append(remaining > 1 ? base64Alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
        out.append(remaining > 2 ? base64Alphabet[Int(triple & 63)] : UInt8(ascii: "="))
        i += 3
    }
    return String(decoding: out, as: UTF8.self)
}
