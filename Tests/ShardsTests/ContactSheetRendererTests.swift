import Examples
import Foundation
import Glyphs
import Imaging
import Pipeline
import Shards
import RecordIO
import TestSupport
import Testing

@Suite struct ContactSheetRendererTests {
    /// Writes `examples` as one shard `name-train.tfrecord-00000-of-00001` under `directory`,
    /// with a manifest declaring `image` beside it when given (raw pixels need one: nothing
    /// guesses their shape).
    func writeShard(_ examples: [Example], to directory: URL, name: String = "t", image: ImageSpec? = nil) throws -> URL {
        if let image { try Manifest(name: name, version: "1.0.0", image: image).write(to: directory.path) }
        let writer = try ShardedWriter(
            directory: directory.path, name: name, split: "train",
            sharding: .shards(1), records: examples.count,
            durable: false)
        for example in examples { try writer.write(example.serialized()) }
        _ = try writer.finish()
        return directory.appendingPathComponent(
            ShardedWriter.shardFileName(name: name, split: "train", index: 0, count: 1))
    }

    func gradient(height: Int, width: Int, channels: Int, seed: Int) -> Image {
        let count = height * width * channels
        return Image(
            height: height, width: width, channels: channels,
            pixels: (0..<count).map { UInt8((($0 * 7) + seed * 31) % 256) })
    }

    @Test func sheetHasTheGridSizeAndAKnownRecordsPixelsInItsCell() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let images = (0..<11).map { gradient(height: 64, width: 64, channels: 3, seed: $0) }
        let examples = images.enumerated().map { index, image in
            Example([
                "image": .bytes([image.pixels]), "length": .int64([2]),
                "digits": .int64([Int64(index % 10), 4, 10, 10, 10]),
            ])
        }
        let shard = try writeShard(examples, to: directory, image: ImageSpec(height: 64, width: 64, channels: 3, encoding: .raw))
        let result = try ContactSheetRenderer(count: 10, columns: 4).render([shard])
        // 10 cells of 64 in 4 columns and 3 rows.
        #expect(result.sheet.width == 4 * 66 + 2)
        #expect(result.sheet.height == 3 * (64 + 9 + 2) + 2)
        #expect(result.labels.count == 10)
        #expect(result.labels[3] == "34")
        // Record 6 is in row 1, column 2.
        let (x, y) = ContactSheetLayout.origin(ofCell: 6, columns: 4, cellSize: 64)
        #expect(result.sheet.cropped(top: y, left: x, height: 64, width: 64).pixels == images[6].pixels)
        // Each label is drawn in white on the line under its cell; an empty label line stays dark.
        for cell in 0..<10 {
            let (lx, ly) = ContactSheetLayout.origin(ofCell: cell, columns: 4, cellSize: 64)
            let line = result.sheet.cropped(top: ly + 65, left: lx, height: 7, width: 64)
            #expect(line.pixels.contains(255), "label of cell \(cell)")
        }
        let (ex, ey) = ContactSheetLayout.origin(ofCell: 10, columns: 4, cellSize: 64)
        #expect(!result.sheet.cropped(top: ey + 65, left: ex, height: 7, width: 64).pixels.contains(255))
        // Written as PNG.
        let png = directory.appendingPathComponent("sheet.png")
        try ContactSheetRenderer.writePNG(result.sheet, to: png)
        let decoded = try PNGCodec.decode(try [UInt8](Data(contentsOf: png)))
        #expect(decoded == result.sheet)
    }

    @Test func labelsForEverySchema() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // MNIST/CIFAR as TFDS writes them: PNG image, int64 label, names in label.labels.txt.
        let classes = directory.appendingPathComponent("classes")
        try FileManager.default.createDirectory(at: classes, withIntermediateDirectories: true)
        try "airplane\nautomobile\noak_tree\n".write(
            to: classes.appendingPathComponent("label.labels.txt"), atomically: true, encoding: .utf8)
        let png = try PNGCodec.encode(gradient(height: 32, width: 32, channels: 3, seed: 1))
        let classShard = try writeShard(
            [
                Example(["image": .bytes([png]), "label": .int64([2])]),
                Example(["image": .bytes([png]), "label": .int64([7])]),
            ],
            to: classes)
        let classSheet = try ContactSheetRenderer().render([classShard])
        #expect(classSheet.labels == ["oak tree", "7"])
        // HWDB: raw 64×64×1, a CJK character (no glyph: the class index) or a Latin one.
        let hwdb = directory.appendingPathComponent("hwdb")
        try FileManager.default.createDirectory(at: hwdb, withIntermediateDirectories: true)
        let gray = gradient(height: 64, width: 64, channels: 1, seed: 2).pixels
        let hwdbShard = try writeShard(
            [
                Example(["image": .bytes([gray]), "label": .int64([17]), "character": .bytes([Array("中".utf8)])]),
                Example(["image": .bytes([gray]), "label": .int64([3]), "character": .bytes([Array("A".utf8)])]),
            ], to: hwdb, image: ImageSpec(height: 64, width: 64, channels: 1, encoding: .raw))
        let hwdbSheet = try ContactSheetRenderer().render([hwdbShard])
        #expect(hwdbSheet.labels == ["中", "A"])
        #expect(hwdbSheet.notes.isEmpty && hwdbSheet.fontPath != nil)
        // Without a CJK font: the class index, and one note saying why.
        let noFont = try ContactSheetRenderer(findFont: { _ in .notFound("looked nowhere") }).render([hwdbShard])
        #expect(noFont.labels == ["#17", "A"])
        #expect(noFont.fontPath == nil)
        #expect(noFont.notes.count == 1 && noFont.notes[0].hasPrefix("no CJK font found (looked nowhere): "))
        // Digit strings (SVHN and synth): digits up to length.
        let svhn = directory.appendingPathComponent("svhn")
        try FileManager.default.createDirectory(at: svhn, withIntermediateDirectories: true)
        let rgb = gradient(height: 64, width: 64, channels: 3, seed: 3).pixels
        let svhnShard = try writeShard(
            [
                Example([
                    "image": .bytes([rgb]), "length": .int64([4]), "digits": .int64([4, 0, 7, 1, 10]),
                    "image/height": .int64([64]), "image/width": .int64([64]), "image/channels": .int64([3]),
                ])
            ], to: svhn)
        // A bare file (no manifest): raw pixels shaped by the record's own image/height, /width, /channels.
        let svhnSheet = try ContactSheetRenderer().render([svhnShard])
        #expect(svhnSheet.labels == ["4071"])
        let (cellX, cellY) = ContactSheetLayout.origin(ofCell: 0, columns: 1, cellSize: 64)
        #expect(svhnSheet.sheet.cropped(top: cellY, left: cellX, height: 64, width: 64).pixels == rgb)
        // Raw bytes of no known shape: an empty cell marked "?".
        let odd = directory.appendingPathComponent("odd")
        try FileManager.default.createDirectory(at: odd, withIntermediateDirectories: true)
        let oddShard = try writeShard([Example(["image": .bytes([[1, 2, 3, 4, 5]]), "label": .int64([1])])], to: odd)
        let oddSheet = try ContactSheetRenderer().render([oddShard])
        #expect(oddSheet.labels == ["?"])
        #expect(oddSheet.notes.contains { $0.hasPrefix("1 record drawn as ?: no manifest.json beside the file declares") }, "\(oddSheet.notes)")
        // 784 raw bytes with no manifest are not taken for 28x28x1: nothing guesses a shape from a count.
        let bare = directory.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        let bareShard = try writeShard([Example(["image": .bytes([[UInt8](repeating: 7, count: 784)]), "label": .int64([1])])], to: bare)
        #expect(try ContactSheetRenderer().render([bareShard]).labels == ["?"])
    }

    @Test func rawShapeComesFromTheManifest() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 40×30×3 is no known size: only the manifest's image entry explains it.
        let image = gradient(height: 40, width: 30, channels: 3, seed: 4)
        let shard = try writeShard([Example(["image": .bytes([image.pixels]), "label": .int64([0])])], to: directory)
        #expect(try ContactSheetRenderer().render([shard]).labels == ["?"])
        try Manifest(name: "t", version: "1.0.0", image: ImageSpec(key: "image", height: 40, width: 30, channels: 3, encoding: .raw))
            .write(to: directory.path)
        let result = try ContactSheetRenderer().render([shard])
        #expect(result.labels == ["0"])
        // Fitted into a 64 cell: 40 rows become 64 and 30 columns 48, centred.
        #expect(result.sheet.width == 66 + 2)
    }

    @Test func randomSamplingIsSeededAndBounded() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let examples = (0..<200).map { index in
            Example([
                "image": .bytes([[UInt8](repeating: UInt8(index), count: 784)]), "label": .int64([Int64(index)]),
            ])
        }
        let shard = try writeShard(examples, to: directory, image: ImageSpec(height: 28, width: 28, channels: 1, encoding: .raw))
        let a = try ContactSheetRenderer(count: 10, random: true, seed: 5).render([shard])
        let b = try ContactSheetRenderer(count: 10, random: true, seed: 5).render([shard])
        let c = try ContactSheetRenderer(count: 10, random: true, seed: 6).render([shard])
        #expect(a.labels == b.labels)
        #expect(a.labels != c.labels)
        #expect(a.labels.count == 10 && a.recordsRead == 200)
        #expect(a.labels != (0..<10).map(String.init))
        let positions = a.labels.map { Int($0)! }
        #expect(positions == positions.sorted() && Set(positions).count == 10)
        // Spread over the file, not bunched at the start.
        #expect(positions.last! > 100)
        let first = try ContactSheetRenderer(count: 10).render([shard])
        #expect(first.labels == (0..<10).map(String.init))
    }

    /// HWDB records: a 64×64 gray image whose left half is white, `label` and `character`.
    func hwdbExamples(_ characters: [String]) -> [Example] {
        characters.enumerated().map { index, character in
            let pixels = (0..<(64 * 64)).map { $0 % 64 < 32 ? UInt8(255) : UInt8(0) }
            return Example([
                "image": .bytes([pixels]), "label": .int64([Int64(index)]), "character": .bytes([Array(character.utf8)]),
            ])
        }
    }

    @Test func cjkLabelsAreDrawnWithTheFontUnderTheirCells() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shard = try writeShard(hwdbExamples(["中", "国", "一"]), to: directory, image: ImageSpec(height: 64, width: 64, channels: 1, encoding: .raw))
        let result = try ContactSheetRenderer(columns: 3).render([shard])
        #expect(result.labels == ["中", "国", "一"])
        guard case .found(let font) = CJKFont.renderer(pixelSize: 16, environment: [:]) else {
            Issue.record("no CJK font installed (scripts/bootstrap.sh installs one)")
            return
        }
        // The label line is as high as the font's line (16 px em) plus a blank row above and below.
        let labelHeight = font.lineHeight + 2
        #expect(labelHeight > ContactSheetLayout.labelHeight)
        #expect(result.sheet.height == 64 + labelHeight + 2 + 2)
        // Each label line holds the glyph the font draws for it, pixel for pixel.
        var lines: [[UInt8]] = []
        for cell in 0..<3 {
            let (x, y) = ContactSheetLayout.origin(ofCell: cell, columns: 3, cellSize: 64, labelHeight: labelHeight)
            let line = result.sheet.cropped(top: y + 65, left: x, height: font.lineHeight, width: 64)
            var expected = Image(
                height: font.lineHeight, width: 64, channels: 3,
                pixels: (0..<(font.lineHeight * 64)).flatMap { _ in ContactSheetLayout.background })
            font.draw(result.labels[cell], on: &expected, x: 0, y: 0, maxWidth: 64, color: ContactSheetLayout.labelColor)
            #expect(line.pixels == expected.pixels, "label of cell \(cell)")
            #expect(line.pixels.contains { $0 > 200 }, "no ink under cell \(cell)")
            lines.append(line.pixels)
        }
        #expect(Set(lines).count == 3)
    }

    @Test func aCharacterTheFontLacksFallsBackToItsIndex() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // U+0378 is unassigned: no font has it.
        let shard = try writeShard(hwdbExamples(["中", "\u{0378}"]), to: directory, image: ImageSpec(height: 64, width: 64, channels: 1, encoding: .raw))
        let result = try ContactSheetRenderer().render([shard])
        #expect(result.labels == ["中", "#1"])
        #expect(result.notes.count == 1 && result.notes[0].hasSuffix("labelled with the class index (#N)"))
    }

    /// Each split is decoded with its own spec: an augmentation that cropped train to 24x24
    /// leaves test at 28x28, and the manifest says so per split. A record that does not match its
    /// split's spec is drawn as `?`, with a note naming the spec.
    @Test func eachSplitIsDecodedWithItsOwnSpec() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var shards: [String: ShardManifest] = [:]
        for (split, side) in [("train", 24), ("test", 28)] {
            let writer = try ShardedWriter(
                directory: directory.path, name: "t", split: split, sharding: .shards(1), records: 2, durable: false)
            let good = gradient(height: side, width: side, channels: 1, seed: side).pixels
            try writer.write(Example(["image": .bytes([good]), "label": .int64([Int64(side)])]).serialized())
            try writer.write(Example(["image": .bytes([[UInt8](repeating: 1, count: 10)]), "label": .int64([0])]).serialized())
            let file = ShardedWriter.shardFileName(name: "t", split: split, index: 0, count: 1)
            _ = try writer.finish()
            shards[split] = ShardManifest(file: file, records: 2, bytes: 0, sha256: "", index: nil)
        }
        var manifest = Manifest(name: "t", version: "1.0.0", image: ImageSpec(height: 28, width: 28, channels: 1, encoding: .raw))
        manifest.splits["train"] = SplitManifest(
            shards: [shards["train"]!], image: ImageSpec(height: 24, width: 24, channels: 1, encoding: .raw))
        manifest.splits["test"] = SplitManifest(shards: [shards["test"]!])
        try manifest.write(to: directory.path)
        let files = try ShardFiles.resolve([directory.path]).records
        let sheet = try ContactSheetRenderer().render(files)
        #expect(sheet.labels == ["24", "?", "28", "?"])
        #expect(sheet.notes.contains { $0.hasPrefix("2 records drawn as ?: \"image\" is not the 24x24x1 raw image the manifest declares") }, "\(sheet.notes)")
    }

    @Test func trainRecordsComeFirst() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Name order would put test before train.
        try Manifest(name: "t", version: "1.0.0", image: ImageSpec(height: 28, width: 28, channels: 1, encoding: .raw)).write(to: directory.path)
        for (split, label) in [("test", 1), ("train", 0)] {
            let writer = try ShardedWriter(
                directory: directory.path, name: "t", split: split, sharding: .shards(1), records: 1, durable: false)
            try writer.write(
                Example(["image": .bytes([[UInt8](repeating: 9, count: 784)]), "label": .int64([Int64(label)])]).serialized())
            _ = try writer.finish()
        }
        let files = try ShardFiles.resolve([directory.path]).records
        #expect(files.map(\.lastPathComponent).first == "t-test.tfrecord-00000-of-00001")
        #expect(try ContactSheetRenderer().render(files).labels == ["0", "1"])
    }
}
