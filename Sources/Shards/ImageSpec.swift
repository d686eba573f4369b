public import Imaging

/// How a dataset stores its images: which feature holds them, their shape, and their encoding.
///
/// The recipe that makes the records declares it (in its `DatasetSpec`), the writer puts it in
/// `manifest.json`, and every reader of the dataset takes it from there: the trainer, contact
/// sheets and `get --image` decode what it says, so nothing sniffs signatures or guesses a shape
/// from a byte count. In the manifest it reads `{"encoding": "png", "key": "image",
/// "shape": [28, 28, 1]}`.
public struct ImageSpec: Codable, Sendable, Equatable {
    /// The bytes feature that holds one image per record (`image`).
    public var key: String
    /// Rows of every stored image; nil when they vary (a folder converted without `--size`;
    /// the manifest and TFDS write -1).
    public var height: Int?
    /// Columns of every stored image; nil when they vary.
    public var width: Int?
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    /// How the pixels are stored.
    public var encoding: ImageEncoding

    /// A spec of images `height`×`width`×`channels` stored in `key` as `encoding`.
    public init(key: String = "image", height: Int?, width: Int?, channels: Int, encoding: ImageEncoding) {
        self.key = key
        self.height = height
        self.width = width
        self.channels = channels
        self.encoding = encoding
    }

    /// `[height, width, channels]`, as TFDS and the manifest write shapes (-1: varies).
    public var shape: [Int] { [height ?? -1, width ?? -1, channels] }

    /// The spec of a shape as `shape` writes it: the one reading of -1 (a size that varies), for
    /// the manifest's JSON and a recipe's TFDS features alike. Nil unless the shape is three
    /// numbers, sides in 1...`maximumSide` or -1, and 1 or 3 channels.
    package init?(key: String, shape: [Int], encoding: ImageEncoding) {
        let sides = 1...Self.maximumSide
        guard shape.count == 3, sides.contains(shape[0]) || shape[0] == -1,
            sides.contains(shape[1]) || shape[1] == -1, shape[2] == 1 || shape[2] == 3
        else { return nil }
        self.init(
            key: key, height: shape[0] > 0 ? shape[0] : nil, width: shape[1] > 0 ? shape[1] : nil, channels: shape[2],
            encoding: encoding)
    }

    /// The bytes of one image stored `.raw` (row-major H×W×C); nil when the size varies.
    public var rawByteCount: Int? { height.flatMap { h in width.map { w in h * w * channels } } }

    /// The image `bytes` hold, decoded as `encoding` says, with `channels` (1 or 3) or the
    /// stored channels when nil. A PNG or JPEG of another size than the spec's, or raw bytes of
    /// another count, is an error: the spec is what every record holds.
    public func decode(_ bytes: UnsafeRawBufferPointer, channels wanted: Int? = nil) throws(ImageCodecError) -> Image {
        let image: Image
        switch encoding {
        case .png: image = try PNGCodec.decode(bytes, channels: wanted)
        case .jpeg: image = try JPEGCodec.decode(bytes, channels: wanted)
        case .raw:
            guard let height, let width, let count = rawByteCount, bytes.count == count else {
                throw ImageCodecError(
                    format: "raw",
                    message: rawByteCount.map { "expected \($0) bytes (\(shapeText)), found \(bytes.count)" }
                        ?? "raw images need a known size, and the dataset's is \(shapeText)")
            }
            let stored = Image(height: height, width: width, channels: channels, pixels: Array(bytes))
            guard let wanted, wanted != channels else { return stored }
            return stored.converted(toChannels: wanted)
        }
        guard height.map({ $0 == image.height }) ?? true, width.map({ $0 == image.width }) ?? true else {
            throw ImageCodecError(
                format: encoding == .png ? "PNG" : "JPEG",
                message: "the image is \(image.height)x\(image.width); the dataset's images are \(shapeText)")
        }
        return image
    }

    /// The image `bytes` hold (see the pointer form).
    public func decode(_ bytes: [UInt8], channels wanted: Int? = nil) throws(ImageCodecError) -> Image {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImageCodecError) -> Image in try decode(raw, channels: wanted) }
        }
        return try result.get()
    }

    /// `28x28x1`; an unknown size reads `?` (`?x?x3`).
    public var shapeText: String { "\(height.map(String.init) ?? "?")x\(width.map(String.init) ?? "?")x\(channels)" }

    private enum CodingKeys: String, CodingKey { case key, shape, encoding }

    /// The largest height or width a manifest may declare: 2²⁰, so that a crafted manifest's
    /// sizes cannot overflow `rawByteCount` (2²⁰ · 2²⁰ · 3 fits an Int with room to spare).
    public static let maximumSide = 1 << 20

    /// Reads `{"key", "shape": [height, width, channels], "encoding"}`; `-1` in the shape reads as
    /// an unknown size. A shape that is not three numbers with 1 or 3 channels, or with a side
    /// above `maximumSide`, is a decoding error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try container.decode([Int].self, forKey: .shape)
        let key = try container.decode(String.self, forKey: .key)
        let encoding = try container.decode(ImageEncoding.self, forKey: .encoding)
        guard let spec = ImageSpec(key: key, shape: shape, encoding: encoding) else {
            throw DecodingError.dataCorruptedError(
                forKey: .shape, in: container,
                debugDescription:
                    "an image shape is [height, width, 1 or 3] (-1: varies; sides up to 2^20), not \(shape)")
        }
        self = spec
    }

    /// Writes the manifest's JSON form: an unknown height or width as `-1`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(shape, forKey: .shape)
        try container.encode(encoding, forKey: .encoding)
    }
}
