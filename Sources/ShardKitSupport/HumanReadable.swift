internal import Foundation

/// Numbers as people read them in summaries (`convert`, `synth`, `generate`, `inspect`): the one
/// place that decides how a size or a count of things is printed, so every command says it alike.
package enum HumanReadable {
    /// `size` in binary units: `"1 byte"`, `"700 bytes"`, `"12.4 KiB"`, `"127.9 MiB"`,
    /// `"1.5 GiB"`, `"2.0 TiB"`. One decimal from KiB on (powers of 1024, as `ls -lh` and the
    /// `--shard-size` option count); a value that rounds to 1024 moves to the next unit.
    package static func bytes(_ size: Int64) -> String {
        if size > -1024 && size < 1024 { return count(Int(size), "byte") }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(size) / 1024
        var unit = 0
        while abs(value) >= 1023.95 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f", value) + " " + units[unit]
    }

    /// `"1 shard"`, `"4 shards"`, `"0 shards"`; `plural` for words that do not just add an s
    /// (`count(n, "entry", "entries")`).
    package static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(noun(n, singular, plural))"
    }

    /// The word alone, in the form that goes with `n`: `noun(1, "file")` is `"file"`.
    package static func noun(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        n == 1 ? singular : plural ?? singular + "s"
    }

    /// Columns `text` takes in a terminal: 2 for each East Asian wide or full-width character
    /// (CJK ideographs, kana, hangul, full-width forms), 0 for combining marks, 1 otherwise.
    /// Lets tables with CJK class names (HWDB) line up.
    package static func displayWidth(_ text: String) -> Int {
        var width = 0
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: continue
            default: width += isWide(scalar.value) ? 2 : 1
            }
        }
        return width
    }

    /// `text` followed by spaces up to `width` display columns (`displayWidth`); longer text as is.
    package static func padded(_ text: String, toWidth width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - displayWidth(text)))
    }

    /// `text` preceded by spaces up to `width` display columns, for right-aligned numbers.
    package static func leftPadded(_ text: String, toWidth width: Int) -> String {
        String(repeating: " ", count: max(0, width - displayWidth(text))) + text
    }

    /// The wide ranges of Unicode's East Asian Width property (W and F), coarsely: the blocks
    /// that hold them, which is what terminals use.
    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
