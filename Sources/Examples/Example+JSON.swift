// JSON rendering for `shardkit inspect --dump`. Format (documented in formats/example.md):
// {"features": {"<key>": {"<kind>": [values]}, ...}} with keys in byte-wise UTF-8 order; bytes as
// standard base64 (RFC 4648, with padding); floats in their shortest round-trip form; NaN and the
// infinities as the strings "NaN", "Infinity", "-Infinity".

internal import ShardKitSupport

extension Example {
    /// One JSON object, keys sorted. With `maxBytesPreview`, a byte string longer than that many bytes
    /// renders as `{"base64": "<first maxBytesPreview bytes>", "truncated_from": <full length>}`.
    public func jsonString(maxBytesPreview: Int? = nil) -> String {
        var out = "{\"features\": "
        appendJSON(features, to: &out, maxBytesPreview: maxBytesPreview)
        out += "}"
        return out
    }
}

extension SequenceExample {
    /// One JSON object: `{"context": {...}, "feature_lists": {"<key>": [{"<kind>": [...]}, ...]}}`.
    public func jsonString(maxBytesPreview: Int? = nil) -> String {
        var out = "{\"context\": "
        appendJSON(context, to: &out, maxBytesPreview: maxBytesPreview)
        out += ", \"feature_lists\": {"
        let keys = featureLists.featureList.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, key) in keys.enumerated() {
            if i > 0 { out += ", " }
            JSONText.appendString(key, to: &out)
            out += ": ["
            for (j, feature) in featureLists.featureList[key]!.feature.enumerated() {
                if j > 0 { out += ", " }
                appendJSON(feature, to: &out, maxBytesPreview: maxBytesPreview)
            }
            out += "]"
        }
        out += "}}"
        return out
    }
}

extension Feature {
    /// `{"<kind>": [values]}`.
    public func jsonString(maxBytesPreview: Int? = nil) -> String {
        var out = ""
        appendJSON(self, to: &out, maxBytesPreview: maxBytesPreview)
        return out
    }
}

func appendJSON(_ features: Features, to out: inout String, maxBytesPreview: Int?) {
    out += "{"
    let keys = features.feature.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for (i, key) in keys.enumerated() {
        if i > 0 { out += ", " }
        JSONText.appendString(key, to: &out)
        out += ": "
        appendJSON(features.feature[key]!, to: &out, maxBytesPreview: maxBytesPreview)
    }
    out += "}"
}

func appendJSON(_ feature: Feature, to out: inout String, maxBytesPreview: Int?) {
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
