/// JSON text written by hand where a streaming writer beats an encoder (records dumped by
/// `inspect`, safetensors headers): the one place that knows JSON's string escapes.
package enum JSONText {
    /// Appends `string` as a JSON string literal, with the escapes RFC 8259 requires.
    package static func appendString(_ string: String, to out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + Hex.literal(scalar.value, digitCount: 4).dropFirst(2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `string` as a JSON string literal.
    package static func string(_ string: String) -> String {
        var out = ""
        appendString(string, to: &out)
        return out
    }
}
