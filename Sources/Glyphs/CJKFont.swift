public import Foundation

/// Finds a font that draws Chinese characters (HWDB's labels), the way a Debian machine has them.
///
/// Order: the file named by `$SHARDKIT_CJK_FONT` alone when it is set and not empty (a wrong
/// path is then reported, not searched around); else the first of `debianPaths` that exists
/// and opens; else what `fc-match :lang=zh-cn` names, if fontconfig's `fc-match` is on `PATH`.
/// A font counts only if it has a glyph for 中 (fc-match answers with some font whatever is
/// installed). Debian's `fonts-wqy-microhei` and `fonts-noto-cjk` provide the first two paths.
public enum CJKFont {
    /// The environment variable that names a font file to use instead of looking for one.
    public static let environmentVariable = "SHARDKIT_CJK_FONT"

    /// Where Debian's CJK font packages put their fonts, most compact first.
    public static let debianPaths = [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  // fonts-wqy-microhei
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  // fonts-noto-cjk
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  // fonts-wqy-zenhei
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",  // fonts-noto-cjk
        "/usr/share/fonts/truetype/arphic/uming.ttc",  // fonts-arphic-uming
        "/usr/share/fonts/truetype/arphic/ukai.ttc",  // fonts-arphic-ukai
    ]

    /// Noto's collections put the Japanese face first; HWDB is Simplified Chinese.
    static let preferredFamily = "SC"

    /// The outcome of a search: a renderer, or why there is none.
    public enum Lookup {
        /// A renderer over a font that has a glyph for 中, opened at the size asked for.
        case found(GlyphRenderer)
        /// No usable font; the text says where we looked and why each place failed.
        case notFound(String)
    }

    /// Looks for a CJK font as the type documentation describes and opens it at `pixelSize`.
    /// `environment`, `candidates` and `fcMatch` (the path of `fc-match`, nil for none) are
    /// parameters for tests; by default they are this process's, `debianPaths`, and `fc-match`
    /// from `PATH`.
    public static func renderer(
        pixelSize: Int, environment: [String: String] = ProcessInfo.processInfo.environment,
        candidates: [String] = debianPaths, fcMatch: String? = findOnPath("fc-match")
    ) -> Lookup {
        if let chosen = environment[environmentVariable], !chosen.isEmpty {
            switch open(chosen, pixelSize: pixelSize) {
            case .success(let renderer): return .found(renderer)
            case .failure(let error): return .notFound("\(environmentVariable)=\(chosen): \(error.reason)")
            }
        }
        var failures: [String] = []
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            switch open(path, pixelSize: pixelSize) {
            case .success(let renderer): return .found(renderer)
            case .failure(let error): failures.append("\(path): \(error.reason)")
            }
        }
        var looked = "none of " + candidates.joined(separator: ", ") + " is usable"
        if !failures.isEmpty { looked += " (" + failures.joined(separator: "; ") + ")" }
        if let fcMatch {
            if let path = askFontconfig(fcMatch) {
                switch open(path, pixelSize: pixelSize) {
                case .success(let renderer): return .found(renderer)
                case .failure(let error): looked += "; fc-match names \(path): \(error.reason)"
                }
            } else {
                looked += "; fc-match names no font"
            }
        }
        return .notFound(looked)
    }

    /// Opens `path` and checks that it draws 中.
    static func open(_ path: String, pixelSize: Int) -> Result<GlyphRenderer, GlyphError> {
        let renderer: GlyphRenderer
        do {
            renderer = try GlyphRenderer(fontPath: path, pixelSize: pixelSize, preferredFamily: preferredFamily)
        } catch {
            return .failure(error)
        }
        guard renderer.hasGlyph("中") else {
            return .failure(
                GlyphError(
                    fontPath: path, operation: "not a CJK font", code: 0,
                    reason: "\(renderer.familyName) has no glyph for 中 (U+4E2D)"))
        }
        return .success(renderer)
    }

    /// The file fontconfig picks for Simplified Chinese, or nil when `fc-match` fails.
    static func askFontconfig(_ fcMatch: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: fcMatch)
        process.arguments = ["--format=%{file}", ":lang=zh-cn"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !path.isEmpty else { return nil }
        return path
    }

    /// The first executable `name` in the directories of `$PATH`.
    public static func findOnPath(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in directories {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
