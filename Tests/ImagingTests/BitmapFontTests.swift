import Foundation
import TestSupport
import Testing

@testable import Imaging

@Suite struct BitmapFontTests {
    static let repertoire = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz -?#")

    @Test func everyGlyphIsPresentWellFormedAndDistinct() throws {
        var seen: [[UInt8]: Character] = [:]
        for character in Self.repertoire {
            let rows = try #require(BitmapFont.glyph(for: character), "no glyph for \(character)")
            #expect(rows.count == BitmapFont.glyphHeight)
            #expect(rows.allSatisfy { $0 < 1 << BitmapFont.glyphWidth })
            if let other = seen[rows] { Issue.record("\(character) looks like \(other)") }
            seen[rows] = character
        }
        #expect(BitmapFont.glyph(for: "é") == nil)
        #expect(BitmapFont.width(of: "abc") == 17)
    }

    @Test func digitLandsWhereExpected() throws {
        var image = Image(height: 30, width: 40, channels: 3)
        image.drawText("17", x: 3, y: 4, scale: 2, color: [10, 200, 30])
        for (g, character) in ["1", "7"].enumerated() {
            let rows = try #require(BitmapFont.glyph(for: Character(character)))
            for y in 0..<14 {
                for x in 0..<10 {
                    let on = rows[y / 2] & (1 << (4 - x / 2)) != 0
                    let base = ((4 + y) * 40 + 3 + g * 12 + x) * 3
                    #expect(Array(image.pixels[base..<(base + 3)]) == (on ? [10, 200, 30] : [0, 0, 0]))
                }
            }
        }
        // Nothing painted outside the text box (2 glyphs × 12 px − 2 blank px wide, 14 high).
        for y in 0..<30 {
            for x in 0..<40 where !(4..<18).contains(y) || !(3..<25).contains(x) {
                #expect(image.pixels[(y * 40 + x) * 3 + 1] == 0)
            }
        }
    }

    @Test func missingGlyphIsQuestionMarkAndDrawingClips() {
        var a = Image(height: 9, width: 9, channels: 1)
        var b = a
        a.drawText("é", x: 1, y: 1, color: [255])
        b.drawText("?", x: 1, y: 1, color: [255])
        #expect(a == b)
        var c = Image(height: 5, width: 5, channels: 3)
        c.drawText("#W", x: -3, y: 2, scale: 3)  // partly outside: no crash
        #expect(c.pixels.contains(255))
    }

    @Test func contactSheetGeometry() throws {
        let images = (0..<5).map { TestImages.smooth(height: 20 + $0, width: 28, channels: $0 % 2 == 0 ? 3 : 1) }
        let sheet = contactSheet(images: images, labels: ["0", "1", "2", "3", "x"], columns: 3, cellSize: 32)
        #expect(sheet.channels == 3)
        #expect(sheet.width == 3 * (32 + 2) + 2)
        #expect(sheet.height == 2 * (32 + 9 + 2) + 2)
        // Label "2" of cell 2 starts at the cell's left edge, one row below the cell.
        let (cx, cy) = ContactSheetLayout.origin(ofCell: 2, columns: 3, cellSize: 32)
        let rows = try #require(BitmapFont.glyph(for: "2"))
        for y in 0..<7 {
            for x in 0..<5 {
                let on = rows[y] & (1 << (4 - x)) != 0
                let v = sheet.pixels[((cy + 33 + y) * sheet.width + cx + x) * 3]
                #expect(v == (on ? 255 : 32))
            }
        }
        // A 28-wide image fills the 32 cell's width: its first column is not background.
        let (x0, y0) = ContactSheetLayout.origin(ofCell: 0, columns: 3, cellSize: 32)
        let fitted = images[0].resizedArea(height: 23, width: 32)  // 20×28 scaled by 32/28
        #expect(
            Array(sheet.pixels[(((y0 + 4) * sheet.width + x0) * 3)..<(((y0 + 4) * sheet.width + x0) * 3 + 3)])
                == Array(fitted.pixels[0..<3]))
        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(PNGCodec.encode(sheet)).write(to: dir.appendingPathComponent("sheet.png"))
    }
}
