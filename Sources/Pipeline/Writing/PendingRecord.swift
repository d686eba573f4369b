internal import ShardKitSupport
import Shards
import Examples
import Formats
import Imaging
import Foundation

/// The image of a pending record: decoded pixels, or work the encoding workers still do.
enum PendingImage: Sendable {
    case decoded(Image)
    /// SVHN: a PNG (a file still to read from a folder, or the bytes read out of an archive) to
    /// decode as RGB, crop around the digit boxes and resize to `size` (`SVHNCrop.image`), on a
    /// worker rather than on the reading thread.
    case svhnPNG(SVHNImageData, boxes: [DigitBox], size: Int)
    /// An image file of a folder dataset (`FolderImage.load`), read and decoded on a worker and
    /// given `channels`. Its bytes are stored as they are when nothing changes them: same
    /// encoding, a plain file (`FolderImage.isPlain`), no resize, no augmentation.
    case imageFile(path: String, channels: Int)
}

/// One record as the reader thread hands it to the encoding workers: the image as read,
/// every other feature final. The workers do the per-record work (resize, image encoding,
/// Example serialization), so nothing here may depend on which worker runs it.
struct PendingRecord: Sendable {
    /// Index of the split (in the pass's split list) the record belongs to.
    var split: Int
    /// Source file and record index, for error messages.
    var path: String
    var index: Int
    var image: PendingImage
    /// Resize the image to `side × side` before encoding (HWDB), or keep it as it is.
    var resizeSide: Int?
    /// Every feature except `image`.
    var features: [String: Feature]
    /// Which augmented copy of its source record this is (0 when there is one record per source).
    var copy = 0
    /// Whether the record's split is augmented (`ConvertOptions.augmentSplits`).
    var augmented = false
    /// The group whose schema the record's Example counts towards: the dataset-wide number of
    /// its shard when shards are known up front (for the shard's receipt), else 0.
    var group = 0
}

/// The per-record work, a pure function of the record: the same record gives the same bytes on
/// any thread.
struct RecordEncoder: Sendable {
    var encoding: ImageEncoding
    var jpegQuality = 95
    /// Applied after resizing, with randomness keyed by (seed, source file name, record index,
    /// copy): the same record always gets the same pixels, on any thread.
    var augment: AugmentSpec?
    var seed: UInt64 = 0

    /// One augmentation engine for one worker (nil without a spec).
    func makeAugmenter() -> Augmenter? { augment.map(Augmenter.init(spec:)) }

    /// Appends the serialized `tf.train.Example` of `record` to `buffer` and adds the Example to
    /// `schema`. `augmenter` is this worker's `makeAugmenter()`.
    func encode(
        _ record: PendingRecord, augmenter: Augmenter?, into buffer: inout [UInt8], schema: inout SchemaAccumulator
    ) throws(DatasetError) {
        var image: Image
        // The source file's bytes, when they can be stored unchanged.
        var original: [UInt8]?
        switch record.image {
        case .decoded(let decoded):
            image = decoded
        case .imageFile(let path, let channels):
            let file: FolderImage
            do {
                file = try FolderImage.load(path: path)
            } catch {
                var placed = error
                placed.record = record.index
                throw DatasetError(placed)
            }
            image = file.image.converted(toChannels: channels)
            let sameSize = record.resizeSide.map { $0 == image.height && $0 == image.width } ?? true
            let sameEncoding = (file.format == .png && encoding == .png) || (file.format == .jpeg && encoding == .jpeg)
            if file.isPlain, file.image.channels == channels, sameSize, sameEncoding, augmenter == nil {
                original = file.bytes
            }
        case .svhnPNG(let png, let boxes, let size):
            let bytes = try reading { () throws(FormatError) in try png.read(record: record.index) }
            image = try SVHNCrop.image(png: bytes, boxes: boxes, path: record.path, record: record.index, size: size)
        }
        if let side = record.resizeSide, image.height != side || image.width != side {
            image = image.resizedBilinear(height: side, width: side)
        }
        if let augmenter, record.augmented {
            if let problem = augment?.problem(height: image.height, width: image.width) {
                throw DatasetError(.usage, path: record.path, recordIndex: record.index, "--augment: \(problem)")
            }
            let source = record.path.split(separator: "/").last.map(String.init) ?? record.path
            var rng = RecordKey("\(source)/\(record.index)/\(record.copy)").generator(seed: seed)
            image = augmenter.apply(to: image, rng: &rng)
        }
        let bytes: [UInt8]
        if let original {
            bytes = original
        } else {
            do {
                switch encoding {
                case .png: bytes = try PNGCodec.encode(image)
                case .jpeg: bytes = try JPEGCodec.encode(image, quality: jpegQuality)
                case .raw: bytes = image.pixels
                }
            } catch {
                throw DatasetError(
                    .badInput, path: record.path, recordIndex: record.index,
                    "cannot encode the image as \(encoding.rawValue): \(error)")
            }
        }
        var features = record.features
        features["image"] = .bytes([bytes])
        let example = Example(features)
        example.serialize(into: &buffer)
        schema.observe(example)
    }
}
