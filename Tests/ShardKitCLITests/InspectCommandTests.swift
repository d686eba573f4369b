import Foundation
import TestSupport
import Testing

/// `shardkit inspect` on converted fixtures, and the help text of every command, through the binary.
@Suite struct InspectCommandTests {
    /// Fixtures/hwdb converted into a new scratch directory (the caller removes `root`).
    func convertedHWDB() throws -> (root: URL, dataset: String) {
        let root = try FixturePaths.makeScratchDirectory("shardkit-inspect-cli")
        let dataset = root.appendingPathComponent("hwdb").path
        let convert = try ShardKitProcess.run([
            "convert", "hwdb", "--input", FixturePaths.fixture("hwdb").path, "--output", dataset, "--quiet",
        ])
        #expect(convert.status == 0, "\(convert.standardError)")
        #expect(convert.standardOutput.contains("  train: 10 records in 1 shard, "))
        return (root, dataset)
    }

    /// Width and height from a PNG's IHDR chunk.
    func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count > 24 && bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let be = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    @Test func hwdbContactSheetDrawsCharactersOrSaysOnceWhyNot() throws {
        let (root, dataset) = try convertedHWDB()
        defer { try? FileManager.default.removeItem(at: root) }
        let sheet = root.appendingPathComponent("sheet.png").path
        // The CJK font the bootstrap installs; a developer's own setting must not decide.
        let drawn = try ShardKitProcess.run(["inspect", dataset, "--grid", sheet], environment: ["SHARDKIT_CJK_FONT": nil])
        #expect(drawn.status == 0)
        #expect(drawn.standardError == "", "a CJK font should be installed (scripts/bootstrap.sh)")
        let (width, height) = try pngSize(sheet)
        #expect(drawn.standardOutput == "drew 13 of 13 records read into \(sheet) (\(width)x\(height))\n")
        // 13 cells of 64 px in 8 columns and 2 rows; the label line is taller than the bitmap font's 9.
        #expect(width == 8 * 66 + 2 && height > 2 * (64 + 9 + 2) + 2)

        let fallback = root.appendingPathComponent("fallback.png").path
        let missing = try ShardKitProcess.run(
            ["inspect", dataset, "--grid", fallback], environment: ["SHARDKIT_CJK_FONT": "/nonexistent/font.ttc"])
        #expect(missing.status == 0)
        #expect(
            missing.standardError == "shardkit: note: no CJK font found (SHARDKIT_CJK_FONT=/nonexistent/font.ttc: "
                + "FreeType error 1: cannot open resource): characters are labelled with their class index (#N); "
                + "install fonts-wqy-microhei or fonts-noto-cjk, or set SHARDKIT_CJK_FONT to a font file\n")
        #expect(try pngSize(fallback) == (8 * 66 + 2, 2 * (64 + 9 + 2) + 2))
    }

    @Test func reportReadsTrainFirstWithTextHistogramsAndUnits() throws {
        let (root, dataset) = try convertedHWDB()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try ShardKitProcess.run(["inspect", dataset, "--dump", "1", "--histogram", "label", "--quiet"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        // The first train record (train/1001-c.gnt starts with 中), its text features as strings.
        #expect(lines[0].hasPrefix(#"{"features": {"character": {"text": ["中"]}, "image": {"bytes": [{"base64": "iVBORw0KGgo"#))
        #expect(lines[0].hasSuffix(#""label": {"int64": [2]}, "writer": {"text": ["1001-c"]}}}"#))
        #expect(lines[1] == "file                                split  records      size  compression")
        #expect(lines[2].hasPrefix("hwdb-train.tfrecord-00000-of-00001  train       10  ") && lines[2].hasSuffix(" KiB  none"))
        #expect(lines[3].hasPrefix("hwdb-test.tfrecord-00000-of-00001   test         3  "))
        #expect(lines[4].hasPrefix("total: 13 records in 2 files, ") && lines[4].hasSuffix(" KiB"))
        let histograms = lines.drop { !$0.hasPrefix("histogram of") }
        #expect(Array(histograms) == [
            "histogram of label in train (10 values):",
            "  value  name  count",
            "      0  。        1  ####################",
            "      1  一        2  ########################################",
            "      2  中        2  ########################################",
            "      3  人        2  ########################################",
            "      4  国        1  ####################",
            "      5  大        1  ####################",
            "      6  字        1  ####################",
            "histogram of label in test (3 values):",
            "  value  name  count",
            "      0  。        1  ########################################",
            "      4  国        1  ########################################",
            "      6  字        1  ########################################",
        ])
    }

    /// The tool itself ("") and every subcommand its help lists.
    static let commands: [String] = {
        guard let result = try? ShardKitProcess.run(["help"], environment: ["COLUMNS": "1000"]) else { return [""] }
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [""] }
        let names = lines[(start + 1)...].prefix { $0.hasPrefix("  ") }.compactMap { $0.split(separator: " ").first }
        return [""] + names.map(String.init)
    }()

    /// `shardkit help COMMAND` as a terminal `columns` wide shows it.
    func help(_ command: String, columns: Int) throws -> [String] {
        let result = try ShardKitProcess.run(
            ["help"] + (command.isEmpty ? [] : [command]), environment: ["COLUMNS": String(columns)])
        #expect(result.status == 0)
        return result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func everySubcommandIsChecked() {
        #expect(Self.commands.count >= 9 && Self.commands.contains("inspect") && Self.commands.contains("verify"))
    }

    @Test(arguments: commands)
    func helpReadsWellAt80Columns(command: String) throws {
        let wide = try help(command, columns: 1000)
        let narrow = try help(command, columns: 80)
        // Unwrapped, the text between the overview and USAGE has one line per paragraph: no line
        // breaks in the middle of a sentence (indented lines are tables and examples).
        let usage = try #require(wide.firstIndex { $0.hasPrefix("USAGE: ") })
        let overviewEnd = try #require(wide.firstIndex(of: ""))
        for line in wide[overviewEnd..<usage] where !line.isEmpty && !line.hasPrefix(" ") {
            #expect(line.hasSuffix(".") || line.hasSuffix(":"), "a paragraph of \(command) breaks: \(line)")
        }
        // Examples fit an 80-column terminal, so they copy and paste as one line.
        let examples = wide[overviewEnd..<usage].filter { $0.hasPrefix("  shardkit ") }
        if !command.isEmpty { #expect(!examples.isEmpty, "\(command) has no example") }
        for example in examples {
            #expect(example.count < 80, "too long for 80 columns: \(example)")
            #expect(narrow.contains(example), "wrapped at 80 columns: \(example)")
        }
        #expect(wide[usage].count <= 80, "\(wide[usage])")
        // Every default is shown once: each option's help (one line when unwrapped) says it at most once.
        for line in wide where line.components(separatedBy: "default").count > 2 {
            Issue.record("a default shown twice: \(line)")
        }
        #expect(narrow.allSatisfy { $0.count <= 80 })
    }
}
