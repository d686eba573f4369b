import Examples
public import Foundation
public import Glyphs
public import Imaging
import RecordIO
internal import ShardKitSupport

/// Draws records from shards as a contact sheet: each record's `image` with its label under it.
///
/// Records: the first `count` (train first: files in `DatasetContext.readingOrder`), or with
/// `random` a uniform sample of `count` chosen by reservoir sampling (at most `count` records held
/// at once) with draws from `RecordKey("grid").generator(seed:)`, shown in reading order.
///
/// Images: a file listed in a manifest is decoded as its split's `ImageSpec` says (feature,
/// encoding and shape). A bare record file, which no manifest describes, is read as its records
/// describe themselves: `image` as PNG or JPEG when its bytes are one, else as raw pixels shaped
/// by the record's `image/height`, `image/width`, `image/channels` (or `height`, `width`, `depth`)
/// features; nothing guesses a shape from a byte count. An image that cannot be shown gets an
/// empty cell labelled `?`, and `notes` says why.
///
/// Labels: `digits` up to `length` (`"4071"`); `character` (HWDB) as the character itself, drawn
/// with FreeType from a CJK font (`CJKFont`) when the built-in bitmap font lacks it, and as
/// `#label` only when no such font is found or the font lacks the character (`notes` then says
/// so, once); `label` as its class name (underscores shown as spaces) when one is known
/// (`DatasetContext.classNames(of:)`: `label.labels.txt` beside the shards, as TensorFlow
/// Datasets writes it, or a `label_names` metadata entry), else the number; otherwise nothing.
public struct ContactSheetRenderer: Sendable {
    /// How many records to draw (fewer when the files hold fewer).
    public var count: Int
    /// Sample `count` records uniformly from all files instead of taking the first ones.
    public var random: Bool
    /// The seed of the random sample; the same files and seed give the same sheet.
    public var seed: UInt64
    /// Cells per row, at most (a sheet of fewer images is narrower).
    public var columns: Int
    /// Finds the font for labels the bitmap font cannot draw, given the pixel size wanted:
    /// `CJKFont.renderer` by default; tests put a fixed answer here.
    public var findFont: @Sendable (_ pixelSize: Int) -> CJKFont.Lookup

    /// The defaults draw the first 32 records, 8 to a row, finding a CJK font only if needed.
    public init(
        count: Int = 32, random: Bool = false, seed: UInt64 = 0, columns: Int = 8,
        findFont: @escaping @Sendable (_ pixelSize: Int) -> CJKFont.Lookup = { CJKFont.renderer(pixelSize: $0) }
    ) {
        self.count = count
        self.random = random
        self.seed = seed
        self.columns = columns
        self.findFont = findFont
    }

    /// What was drawn.
    public struct RenderedSheet: Sendable {
        /// The RGB contact sheet, ready to encode as PNG.
        public var sheet: Image
        /// The label drawn under each cell, in cell order (`?` for an image that could not be shown).
        public var labels: [String]
        /// Records read (all of them when sampling at random).
        public var recordsRead: Int
        /// What a person should know about the labels (no CJK font found, characters the font
        /// lacks), one line each; `inspect --grid` prints them on stderr.
        public var notes: [String] = []
        /// The font file the labels were drawn with, when not the built-in bitmap font.
        public var fontPath: String?
    }

    /// Reads `files` and draws the chosen records. Manifests and label files are looked for in
    /// the directories of `files`.
    public func render(_ files: [URL]) throws(DatasetError) -> RenderedSheet {
        var context = DatasetContext(files: files)
        var chosen: [(position: Int, example: Example, spec: ImageSpec?)] = []
        var rng = RecordKey("grid").generator(seed: seed)
        var seen = 0
        reading: for (url, _) in context.readingOrder(files) {
            let spec = context.image(of: url)
            var reader: RecordReader
            do { reader = try RecordReader(path: url.path) } catch { throw DatasetError(error) }
            var index = 0
            while true {
                if !random && chosen.count >= count { break reading }
                let payload: UnsafeRawBufferPointer?
                do { payload = try reader.nextRecord() } catch { throw DatasetError(error) }
                guard let payload else { break }
                var slot: Int? = chosen.count < count ? chosen.count : nil
                if slot == nil && random {
                    let j = Int(rng.next() % UInt64(seen + 1))
                    if j < count { slot = j }
                }
                if let slot {
                    let example: Example
                    do { example = try Example(serializedBytes: payload) } catch {
                        throw DatasetError(
                            .badInput, path: url.path, recordIndex: index, byteOffset: reader.lastRecordOffset,
                            "not a tf.train.Example: \(error)")
                    }
                    if slot == chosen.count {
                        chosen.append((seen, example, spec))
                    } else {
                        chosen[slot] = (seen, example, spec)
                    }
                }
                seen += 1
                index += 1
            }
        }
        chosen.sort { $0.position < $1.position }
        var notes: [String] = []
        let images = chosen.map { Self.image(of: $0.example, spec: $0.spec) }
        if let failed = zip(chosen, images).first(where: { $0.1 == nil })?.0 {
            let reason =
                if let spec = failed.spec {
                    "\"\(spec.key)\" is not the \(spec.shapeText) \(spec.encoding.rawValue) image the manifest declares"
                } else {
                    "no manifest.json beside the file declares how \"image\" is stored, and the bytes are neither "
                        + "PNG nor JPEG nor raw pixels with image/height and image/width features"
                }
            let count = images.filter { $0 == nil }.count
            notes.append("\(count) record\(count == 1 ? "" : "s") drawn as ?: \(reason)")
        }
        let drawnImages = images.map { $0 ?? Image(height: 1, width: 1, channels: 1) }
        let cell = Self.cellSize(for: drawnImages)

        // The bitmap font draws everything but HWDB's characters; only those need a real font.
        var typeface: any LabelTypeface = BitmapTypeface()
        var fontPath: String?
        let characters = chosen.compactMap { Self.character(of: $0.example) }
        if characters.contains(where: { !typeface.canDraw($0) }) {
            switch findFont(Self.labelPixelSize(cellSize: cell)) {
            case .found(let renderer):
                typeface = renderer
                fontPath = renderer.fontPath
            case .notFound(let why):
                notes.append(
                    "no CJK font found (\(why)): characters are labelled with their class index (#N); "
                        + "install fonts-wqy-microhei or fonts-noto-cjk, or set \(CJKFont.environmentVariable) to a font file"
                )
            }
        }
        let classNames = context.classNames(of: "label")
        var labels: [String] = []
        for ((_, example, _), image) in zip(chosen, images) {
            labels.append(
                image == nil ? "?" : Self.label(of: example, classNames: classNames, canDraw: typeface.canDraw))
        }
        if let renderer = typeface as? GlyphRenderer {
            let lacking = Set(characters.filter { !renderer.canDraw($0) })
            if !lacking.isEmpty {
                notes.append(
                    "\(renderer.fontPath) (\(renderer.familyName)) has no glyph for \(lacking.sorted().joined(separator: " ")): "
                        + "labelled with the class index (#N)")
            }
        }
        return RenderedSheet(
            sheet: Self.sheet(images: drawnImages, labels: labels, columns: columns, typeface: typeface),
            labels: labels,
            recordsRead: seen, notes: notes, fontPath: fontPath)
    }

    /// The side of a sheet's cells: the largest image side, between 64 and 128 pixels.
    static func cellSize(for images: [Image]) -> Int {
        let largest = images.map { max($0.height, $0.width) }.max() ?? 64
        return min(128, max(64, largest))
    }

    /// The em size of FreeType labels: a quarter of the cell, at least 16 pixels (below that
    /// handwriting-sized CJK glyphs lose the strokes that tell them apart).
    static func labelPixelSize(cellSize: Int) -> Int { max(16, cellSize / 4) }

    /// The contact sheet of `images` with `labels` in `typeface` (the built-in bitmap font unless
    /// given): cells as large as the largest image side, between 64 and 128 pixels.
    public static func sheet(
        images: [Image], labels: [String], columns: Int = 8, typeface: any LabelTypeface = BitmapTypeface()
    ) -> Image {
        contactSheet(
            images: images, labels: labels, columns: max(1, min(columns, images.count)),
            cellSize: cellSize(for: images), typeface: typeface)
    }

    /// Writes `sheet(images:labels:)` as a PNG file.
    public static func writeSheet(images: [Image], labels: [String], to url: URL) throws(DatasetError) {
        try writePNG(sheet(images: images, labels: labels), to: url)
    }

    /// Writes `image` as a PNG file.
    public static func writePNG(_ image: Image, to url: URL) throws(DatasetError) {
        let bytes: [UInt8]
        do { bytes = try PNGCodec.encode(image) } catch {
            throw DatasetError(.output, path: url.path, "cannot encode the PNG: \(error)")
        }
        do throws(RecordIOError) { try writeFileAtomically(bytes, to: url.path) } catch {
            throw DatasetError(.output, path: url.path, "cannot write: \(error.reason)")
        }
    }

    // MARK: Images and labels

    /// The record's image: decoded as `spec` says when a manifest gives one, else as the record
    /// describes itself (see the type documentation); nil when it cannot be shown.
    static func image(of example: Example, spec: ImageSpec?) -> Image? {
        if let spec {
            guard let bytes = example.bytes(spec.key)?.first else { return nil }
            return try? spec.decode(bytes)
        }
        guard let bytes = example.bytes("image")?.first, !bytes.isEmpty else { return nil }
        if Image.encodedFormat(of: bytes) != nil { return try? Image.decode(bytes) }
        func feature(_ keys: [String]) -> Int? {
            for key in keys { if let v = example.int64s(key)?.first { return Int(v) } }
            return nil
        }
        // The record's own sizes are untrusted: bounded before they are multiplied.
        let sides = 1...ImageSpec.maximumSide
        guard let h = feature(["image/height", "height"]), let w = feature(["image/width", "width"]),
            sides.contains(h), sides.contains(w)
        else { return nil }
        let c = feature(["image/channels", "channels", "depth"]) ?? 1
        guard c == 1 || c == 3, h * w * c == bytes.count else { return nil }
        return Image(height: h, width: w, channels: c, pixels: bytes)
    }

    /// The record's `character` (HWDB) as text, when it has one.
    static func character(of example: Example) -> String? {
        guard let bytes = example.bytes("character")?.first else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? nil : text
    }

    /// The record's label as the type documentation describes; `canDraw` says whether the
    /// typeface in use draws a character.
    static func label(of example: Example, classNames: [String]?, canDraw: (String) -> Bool) -> String {
        if let digits = example.int64s("digits") {
            var length = digits.prefix(while: { $0 != 10 }).count
            if let stored = example.int64s("length")?.first { length = Int(stored) }
            return digits.prefix(max(0, length)).map { $0 == 10 ? "0" : String($0) }.joined()
        }
        let label = example.int64s("label")?.first
        if example.bytes("character")?.first != nil {
            if let text = character(of: example), canDraw(text) { return text }
            return label.map { "#\($0)" } ?? "#?"
        }
        if let label {
            if let classNames, label >= 0, Int(label) < classNames.count {
                // The bitmap font has no underscore (CIFAR-100's `oak_tree`).
                return classNames[Int(label)].replacingOccurrences(of: "_", with: " ")
            }
            return String(label)
        }
        return ""
    }
}
