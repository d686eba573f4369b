internal import ShardKitSupport
public import Shards
public import Formats
public import Imaging
import Examples

/// A pixel rectangle, half-open: rows `top..<top + height`, columns `left..<left + width`.
public struct PixelRect: Sendable, Equatable {
    /// The first row.
    public var top: Int
    /// The first column.
    public var left: Int
    /// Rows, at least 1 in a rectangle `SVHNCrop.rect` returns.
    public var height: Int
    /// Columns, at least 1 in a rectangle `SVHNCrop.rect` returns.
    public var width: Int

    /// The rectangle of `height` rows from `top` and `width` columns from `left`.
    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }
}

/// The usual SVHN multi-digit preprocessing, exactly:
///
/// 1. Union of the digit boxes: `x0 = min(left)`, `y0 = min(top)`, `x1 = max(left + width)`,
///    `y1 = max(top + height)` (real numbers, as stored).
/// 2. A square about its centre: `cx = (x0 + x1) / 2`, `cy = (y0 + y1) / 2`,
///    `side = max(x1 - x0, y1 - y0)`.
/// 3. Expanded by 30 % (15 % on each side): `side' = 1.3 × side`.
/// 4. To whole pixels, outwards: `left = floor(cx - side'/2)`, `top = floor(cy - side'/2)`,
///    `right = ceil(cx + side'/2)`, `bottom = ceil(cy + side'/2)` (right and bottom exclusive).
/// 5. Clamped to the image: `left, top ≥ 0`, `right ≤ width`, `bottom ≤ height`. The result
///    is no longer square when clamping cut it; it is not padded.
/// 6. Cropped, then resized to `size × size` with `Image.resizedBilinear` (TensorFlow's bilinear,
///    half-pixel centres) — the aspect ratio is not preserved for clamped crops.
///
/// This is the image half of the SVHN recipe: the reader (`Formats.SVHNReader`) hands over the
/// PNG undecoded, and the encoding workers run `image(png:boxes:path:record:size:)`.
public enum SVHNCrop {
    /// Side of the output image.
    public static let outputSize = 64
    /// Total expansion of the square's side (15 % on each side).
    public static let expansion = 0.3

    /// Steps 1–5: the crop rectangle for `boxes` in a `width × height` image, or `nil` when
    /// there are no boxes or the expanded square does not overlap the image.
    public static func rect(for boxes: [DigitBox], imageWidth: Int, imageHeight: Int) -> PixelRect? {
        guard !boxes.isEmpty else { return nil }
        let x0 = boxes.map(\.left).min()!
        let y0 = boxes.map(\.top).min()!
        let x1 = boxes.map { $0.left + $0.width }.max()!
        let y1 = boxes.map { $0.top + $0.height }.max()!
        let cx = (x0 + x1) / 2
        let cy = (y0 + y1) / 2
        let half = max(x1 - x0, y1 - y0) * (1 + expansion) / 2
        let left = max(0, Int((cx - half).rounded(.down)))
        let top = max(0, Int((cy - half).rounded(.down)))
        let right = min(imageWidth, Int((cx + half).rounded(.up)))
        let bottom = min(imageHeight, Int((cy + half).rounded(.up)))
        guard right > left && bottom > top else { return nil }
        return PixelRect(top: top, left: left, height: bottom - top, width: right - left)
    }

    /// Step 6 on an already computed rectangle (must lie inside the image).
    public static func apply(_ rect: PixelRect, to image: Image, size: Int = outputSize) -> Image {
        image.cropped(top: rect.top, left: rect.left, height: rect.height, width: rect.width)
            .resizedBilinear(height: size, width: size)
    }

    /// Decode (RGB) → `rect` → crop → bilinear resize to `size × size`: the pixels of one record.
    /// `path` and `record` name the PNG in errors: `.badInput` when it does not decode or when
    /// the boxes lie outside it.
    public static func image(
        png: [UInt8], boxes: [DigitBox], path: String, record: Int, size: Int = outputSize
    ) throws(DatasetError) -> Image {
        let full: Image
        do {
            full = try PNGCodec.decode(png, channels: 3)
        } catch {
            throw DatasetError(FormatError(.decode, path: path, record: record, "PNG does not decode: \(error.message)"))
        }
        guard let rect = rect(for: boxes, imageWidth: full.width, imageHeight: full.height) else {
            throw DatasetError(
                FormatError(
                    .badRecord, path: path, record: record, "digit boxes lie outside the image",
                    expected: "boxes overlapping \(full.width)×\(full.height)", found: "\(boxes)"))
        }
        return apply(rect, to: full, size: size)
    }
}

/// SVHN's per-record image work on the encoding workers: read the PNG (a file still to read from
/// a folder, or the bytes already read out of an archive), decode it as RGB, crop around the digit
/// boxes and resize to `size` (`SVHNCrop.image`). On a worker rather than the reading thread,
/// so that the reading thread only walks digitStruct.mat.
struct SVHNCropStep: DeferredImage {
    var png: SVHNImageData
    var boxes: [DigitBox]
    var size: Int

    func load(_ request: DeferredImageRequest) throws(DatasetError) -> LoadedImage {
        let bytes = try reading { () throws(FormatError) in try png.read(record: request.index) }
        return LoadedImage(
            image: try SVHNCrop.image(png: bytes, boxes: boxes, path: request.path, record: request.index, size: size))
    }
}

extension SVHNConversion {
    /// The SVHN recipe's features other than `image`, for `sample` stored as `filename`
    /// ("train/1.png"): `length`, `digits` (padded with 10), the boxes rounded to whole pixels
    /// (`bbox/left|top|width|height`, `bbox/label` as the digit 0–9) and `filename`.
    static func recordFeatures(_ sample: SVHNSample, filename: String) -> [String: Feature] {
        let boxes = sample.boxes
        return [
            "length": .int64([Int64(sample.length)]),
            "digits": .int64(sample.digits.map(Int64.init)),
            "bbox/left": .int64(boxes.map { Int64($0.left.rounded()) }),
            "bbox/top": .int64(boxes.map { Int64($0.top.rounded()) }),
            "bbox/width": .int64(boxes.map { Int64($0.width.rounded()) }),
            "bbox/height": .int64(boxes.map { Int64($0.height.rounded()) }),
            "bbox/label": .int64(boxes.map { Int64($0.digit) }),
            "filename": .bytes([Array(filename.utf8)]),
        ]
    }
}
