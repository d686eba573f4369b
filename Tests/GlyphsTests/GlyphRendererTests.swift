import Foundation
import Imaging
import TestSupport
import Testing

@testable import Glyphs

/// The CJK font the bootstrap installs (fonts-wqy-microhei, fonts-noto-cjk), found as `inspect`
/// finds it but without `$SHARDKIT_CJK_FONT`, so a developer's setting cannot change the tests.
func installedCJKFont(pixelSize: Int = 32) throws -> GlyphRenderer {
    switch CJKFont.renderer(pixelSize: pixelSize, environment: [:]) {
    case .found(let renderer): return renderer
    case .notFound(let why):
        throw GlyphError(fontPath: "-", operation: "no CJK font (run scripts/bootstrap.sh)", code: 0, reason: why)
    }
}

/// Pixels with more than half coverage.
func inked(_ glyph: GlyphBitmap) -> Int { glyph.coverage.filter { $0 > 127 }.count }

@Suite struct GlyphRendererTests {
    @Test func knownCharactersHaveTheirShape() throws {
        let font = try installedCJKFont(pixelSize: 32)
        #expect(font.hasGlyph("中") && font.canDraw("国字。"))
        // 中: a vertical stroke through its middle, inked over most of the glyph's height.
        let zhong = try font.glyph("中")
        #expect(zhong.width > 16 && zhong.height > 20 && zhong.height <= 34)
        let middle = (0..<zhong.height).filter { row in
            (zhong.width / 2 - 2...zhong.width / 2 + 2).contains { zhong.coverage[row * zhong.width + $0] > 127 }
        }
        #expect(middle.count >= zhong.height * 3 / 4)
        // 一: one horizontal stroke, much wider than high, sitting mid-line (above the baseline).
        let yi = try font.glyph("一")
        #expect(yi.width > 20 && yi.height < 8 && inked(yi) > 40)
        #expect(yi.top > 6 && yi.top < font.ascent)
        // Both advance about one em.
        #expect((30...34).contains(zhong.advance) && (30...34).contains(yi.advance))
    }

    @Test func distinctCharactersGiveDistinctBitmaps() throws {
        let font = try installedCJKFont(pixelSize: 16)
        var seen: [[UInt8]: Character] = [:]
        // HWDB's fixture dictionary, plus digits and # (the fallback labels).
        for character in "。一中人国大字0123456789#" {
            let glyph = try font.glyph(character.unicodeScalars.first!)
            #expect(inked(glyph) > 0 || character == "。", "no ink in \(character)")
            #expect(glyph.coverage.contains { $0 > 0 }, "\(character) is blank")
            if let other = seen[glyph.coverage + [UInt8(glyph.width)]] { Issue.record("\(character) renders like \(other)") }
            seen[glyph.coverage + [UInt8(glyph.width)]] = character
        }
    }

    @Test func drawingInksOnlyTheLabelBox() throws {
        let font = try installedCJKFont(pixelSize: 16)
        var image = Image(height: 40, width: 60, channels: 3)
        font.draw("国", on: &image, x: 10, y: 5, maxWidth: 30, color: [255, 255, 255])
        var ink = 0
        for y in 0..<40 {
            for x in 0..<60 {
                let value = image.pixels[(y * 60 + x) * 3]
                guard value > 0 else { continue }
                ink += 1
                #expect((10..<40).contains(x) && (5..<(5 + font.lineHeight)).contains(y), "ink at (\(x), \(y))")
                // White on black: the three channels blend alike.
                #expect(image.pixels[(y * 60 + x) * 3 + 1] == value)
            }
        }
        #expect(ink > 30)
        // A gray image takes the colour's gray value.
        var gray = Image(height: 20, width: 20, channels: 1)
        font.draw("国", on: &gray, x: 0, y: 0, maxWidth: 20, color: [255, 255, 255])
        #expect(gray.pixels.contains(255))
        // Too narrow for the glyph: nothing drawn, not half a character.
        var narrow = Image(height: 40, width: 60, channels: 3)
        font.draw("国", on: &narrow, x: 10, y: 5, maxWidth: 8, color: [255, 255, 255])
        #expect(!narrow.pixels.contains { $0 != 0 })
        // Characters the font lacks: canDraw says so (U+0378 is unassigned).
        #expect(!font.canDraw("中\u{0378}"))
    }

    @Test func freeTypeFailuresAreSwiftErrors() throws {
        #expect {
            _ = try GlyphRenderer(fontPath: "/nonexistent/font.ttf", pixelSize: 16)
        } throws: { error in
            let error = error as! GlyphError
            return error.code == 1 && error.fontPath == "/nonexistent/font.ttf"
                && error.description == "/nonexistent/font.ttf: cannot load the font: FreeType error 1: cannot open resource"
        }
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let notAFont = directory.appendingPathComponent("notes.ttf")
        try Data("not a font at all, just text".utf8).write(to: notAFont)
        #expect {
            _ = try GlyphRenderer(fontPath: notAFont.path, pixelSize: 16)
        } throws: { error in
            (error as! GlyphError).code == 2 && "\(error)".hasSuffix("FreeType error 2: unknown file format")
        }
    }
}

@Suite struct CJKFontLookupTests {
    @Test func theEnvironmentVariableWinsAndIsNotSearchedAround() throws {
        let font = try installedCJKFont()
        switch CJKFont.renderer(pixelSize: 16, environment: ["SHARDKIT_CJK_FONT": font.fontPath]) {
        case .found(let renderer): #expect(renderer.fontPath == font.fontPath && renderer.pixelSize == 16)
        case .notFound(let why): Issue.record("not found: \(why)")
        }
        // A wrong path is reported, even though the Debian fonts are there.
        switch CJKFont.renderer(pixelSize: 16, environment: ["SHARDKIT_CJK_FONT": "/nonexistent.ttc"]) {
        case .found(let renderer): Issue.record("found \(renderer.fontPath)")
        case .notFound(let why): #expect(why == "SHARDKIT_CJK_FONT=/nonexistent.ttc: FreeType error 1: cannot open resource")
        }
        // Empty means unset.
        guard case .found = CJKFont.renderer(pixelSize: 16, environment: ["SHARDKIT_CJK_FONT": ""]) else {
            Issue.record("an empty SHARDKIT_CJK_FONT stopped the search")
            return
        }
    }

    @Test func nothingFoundSaysWhereItLooked() {
        let lookup = CJKFont.renderer(
            pixelSize: 16, environment: [:], candidates: ["/nonexistent/a.ttc", "/nonexistent/b.ttc"], fcMatch: nil)
        guard case .notFound(let why) = lookup else {
            Issue.record("found a font in no place")
            return
        }
        #expect(why == "none of /nonexistent/a.ttc, /nonexistent/b.ttc is usable")
    }

    @Test func fontconfigIsAskedWhenTheListHasNothing() throws {
        let fcMatch = try #require(CJKFont.findOnPath("fc-match"), "fontconfig's fc-match is not installed")
        guard case .found(let renderer) = CJKFont.renderer(
            pixelSize: 16, environment: [:], candidates: [], fcMatch: fcMatch)
        else {
            Issue.record("fc-match found no CJK font")
            return
        }
        #expect(renderer.hasGlyph("国"))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")))
    func aFontWithoutChineseIsNotTaken() {
        let lookup = CJKFont.renderer(
            pixelSize: 16, environment: [:], candidates: ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
            fcMatch: nil)
        guard case .notFound(let why) = lookup else {
            Issue.record("took DejaVu Sans as a CJK font")
            return
        }
        #expect(why.contains("DejaVu Sans has no glyph for 中 (U+4E2D)"))
    }

    @Test func notoCollectionsOpenTheSimplifiedChineseFace() throws {
        let path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
        try #require(FileManager.default.fileExists(atPath: path), "fonts-noto-cjk is not installed")
        let renderer = try GlyphRenderer(fontPath: path, pixelSize: 16, preferredFamily: "SC")
        #expect(renderer.familyName == "Noto Sans CJK SC" && renderer.faceIndex > 0)
    }
}
