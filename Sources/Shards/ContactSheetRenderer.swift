internal import ShardKitSupport
import Examples
public import Foundation
public import Imaging
import RecordIO

/// Draws records from shards as a contact sheet: each record's `image` with its label under it.
///
/// Records: the first `count`, or with `random` a uniform sample of `count` chosen by reservoir
/// sampling (at most `count` records held at once) with draws from `RecordKey("grid").generator(seed:)`,
/// shown in file order.
///
/// Images: PNG or JPEG bytes are decoded. Raw bytes take their shape from, in order, the
/// manifest's `image` entry; `image/height`, `image/width`, `image/channels`
/// (or `height`, `width`, `depth`) int64 features; or the byte count: 784 = 28×28×1,
/// 3072 = 32×32×3, 4096 = 64×64×1, 12288 = 64×64×3, 8748 = 54×54×3, 3920 = 28×140×1, and any
/// other multiple of 2352 (784) = 28×(28·k)×3 (×1), the fixed digit-string layout. An image that
/// cannot be decoded or shaped gets an empty cell labelled `?`.
///
/// Labels: `digits` up to `length` (`"4071"`); `character` when every character has a glyph in
/// the bitmap font, else `#label`; `label` as its class name (underscores shown as spaces) when
/// one is known (a `label_names` metadata entry, one name per line, or `label.labels.txt` beside
/// the shards, as TensorFlow Datasets writes it), else the number; otherwise nothing.
public struct ContactSheetRenderer: Sendable {
    public var count: Int
    public var random: Bool
    public var seed: UInt64
    public var columns: Int

    public init(count: Int = 32, random: Bool = false, seed: UInt64 = 0, columns: Int = 8) {
        self.count = count
        self.random = random
        self.seed = seed
        self.columns = columns
    }

    /// What was drawn.
    public struct RenderedSheet: Sendable {
        public var sheet: Image
        public var labels: [String]
        /// Records read (all of them when sampling at random).
        public var recordsRead: Int
    }

    /// Reads `files` and draws the chosen records. Manifests and label files are looked for in
    /// the directories of `files`.
    public func render(_ files: [URL]) throws(DatasetError) -> RenderedSheet {
        let context = SheetContext(directories: Array(Set(files.map { $0.deletingLastPathComponent() })))
        var chosen: [(position: Int, example: Example)] = []
        var rng = RecordKey("grid").generator(seed: seed)
        var seen = 0
        reading: for url in files {
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
                    if slot == chosen.count { chosen.append((seen, example)) } else { chosen[slot] = (seen, example) }
                }
                seen += 1
                index += 1
            }
        }
        chosen.sort { $0.position < $1.position }
        var images: [Image] = []
        var labels: [String] = []
        for (_, example) in chosen {
            let image = Self.image(of: example, shape: context.shape)
            images.append(image ?? Image(height: 1, width: 1, channels: 1))
            labels.append(image == nil ? "?" : Self.label(of: example, classNames: context.classNames))
        }
        return RenderedSheet(
            sheet: Self.sheet(images: images, labels: labels, columns: columns), labels: labels, recordsRead: seen)
    }

    /// The contact sheet of `images` with `labels`: cells as large as the largest image side,
    /// between 64 and 128 pixels.
    public static func sheet(images: [Image], labels: [String], columns: Int = 8) -> Image {
        let largest = images.map { max($0.height, $0.width) }.max() ?? 64
        let cell = min(128, max(64, largest))
        return contactSheet(
            images: images, labels: labels, columns: max(1, min(columns, images.count)), cellSize: cell)
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
        do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw DatasetError(.output, path: url.path, "cannot write: \(error.localizedDescription)")
        }
    }

    // MARK: Images and labels

    /// The record's `image`, decoded or shaped as the type documentation describes.
    static func image(of example: Example, shape: (Int, Int, Int)?) -> Image? {
        guard let bytes = example.bytes("image")?.first, !bytes.isEmpty else { return nil }
        if Image.encodedFormat(of: bytes) != nil { return try? Image.decode(bytes) }
        func feature(_ keys: [String]) -> Int? {
            for key in keys { if let v = example.int64s(key)?.first { return Int(v) } }
            return nil
        }
        var candidates: [(Int, Int, Int)] = []
        if let shape { candidates.append(shape) }
        if let h = feature(["image/height", "height"]), let w = feature(["image/width", "width"]) {
            candidates.append((h, w, feature(["image/channels", "channels", "depth"]) ?? bytes.count / max(1, h * w)))
        }
        if let known = knownShape(byteCount: bytes.count) { candidates.append(known) }
        for (h, w, c) in candidates where h > 0 && w > 0 && (c == 1 || c == 3) && h * w * c == bytes.count {
            return Image(height: h, width: w, channels: c, pixels: bytes)
        }
        return nil
    }

    /// The shape a raw image of `byteCount` bytes has among the shapes ShardKit writes.
    static func knownShape(byteCount n: Int) -> (Int, Int, Int)? {
        switch n {
        case 784: return (28, 28, 1)
        case 3072: return (32, 32, 3)
        case 4096: return (64, 64, 1)
        case 12288: return (64, 64, 3)
        case 8748: return (54, 54, 3)
        case 3920: return (28, 140, 1)
        default:
            if n > 0 && n % 2352 == 0 { return (28, 28 * (n / 2352), 3) }
            if n > 0 && n % 784 == 0 { return (28, 28 * (n / 784), 1) }
            return nil
        }
    }

    /// The record's label as the type documentation describes.
    static func label(of example: Example, classNames: [String]?) -> String {
        if let digits = example.int64s("digits") {
            var length = digits.prefix(while: { $0 != 10 }).count
            if let stored = example.int64s("length")?.first { length = Int(stored) }
            return digits.prefix(max(0, length)).map { $0 == 10 ? "0" : String($0) }.joined()
        }
        let label = example.int64s("label")?.first
        if let character = example.bytes("character")?.first {
            let text = String(decoding: character, as: UTF8.self)
            if !text.isEmpty, text.allSatisfy({ BitmapFont.glyph(for: $0) != nil }) { return text }
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

/// What the directories of the shards say about shapes and class names.
struct SheetContext {
    var shape: (Int, Int, Int)?
    var classNames: [String]?

    init(directories: [URL]) {
        for directory in directories.sorted(by: { $0.path < $1.path }) {
            let manifestPath = directory.appendingPathComponent(Manifest.fileName).path
            if FileManager.default.fileExists(atPath: manifestPath),
                let manifest = try? Manifest.read(from: manifestPath)
            {
                if shape == nil, let dims = manifest.image?.shape, dims.count == 3 { shape = (dims[0], dims[1], dims[2]) }
                if classNames == nil, let names = manifest.metadata["label_names"] {
                    classNames = Self.lines(names)
                }
            }
            let labelsFile = directory.appendingPathComponent("label.labels.txt")
            if classNames == nil, let data = FileManager.default.contents(atPath: labelsFile.path) {
                classNames = Self.lines(String(decoding: data, as: UTF8.self))
            }
        }
    }

    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }.reversed().drop { $0.isEmpty }.reversed()
    }
}
