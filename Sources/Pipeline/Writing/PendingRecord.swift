internal import ShardKitSupport
import Shards
import Examples
import Imaging
import Foundation

/// The image of a pending record: decoded pixels, or work the encoding workers still do.
enum PendingImage: Sendable {
    case decoded(Image)
    /// A format's per-record step (read a file, decode, crop…), run on a worker rather than on
    /// the reading thread. Each recipe that needs one declares its own type in its file.
    case deferred(any DeferredImage)
}

/// Per-record image work a format's recipe leaves to the encoding workers (SVHN's crop, a folder's
/// image files). It must be a pure function of the record: the same record gives the same image
/// on any thread.
protocol DeferredImage: Sendable {
    /// The record's image, before resizing and augmentation; errors name `request.path` and
    /// `request.index`.
    func load(_ request: DeferredImageRequest) throws(DatasetError) -> LoadedImage
}

/// What a `DeferredImage` is told about its record and what becomes of its image.
struct DeferredImageRequest {
    /// The record's source file and index, for errors.
    var path: String
    var index: Int
    /// How the image will be stored.
    var encoding: ImageEncoding
    /// The side the image will be resized to, if any.
    var resizeSide: Int?
    /// Whether this worker has an augmentation engine (then the pixels are re-encoded).
    var augmenting: Bool
}

/// A deferred image's result.
struct LoadedImage {
    var image: Image
    /// The source file's bytes, when they can be stored unchanged (nothing alters the image and
    /// its encoding is the one asked for).
    var original: [UInt8]? = nil
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
    /// The source sample's key (from its `DatasetSource`): with `copy`, the augmentation stream.
    var key: SampleKey
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
    /// Applied after resizing, with randomness keyed by the seed and the record's key and copy
    /// (`SampleKey.recordKey(copy:)`): the same record always gets the same pixels, on any thread.
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
        case .deferred(let step):
            let loaded = try step.load(
                DeferredImageRequest(
                    path: record.path, index: record.index, encoding: encoding, resizeSide: record.resizeSide,
                    augmenting: augmenter != nil))
            image = loaded.image
            original = loaded.original
        }
        if let side = record.resizeSide, image.height != side || image.width != side {
            image = image.resizedBilinear(height: side, width: side)
        }
        if let augmenter, record.augmented {
            if let problem = augment?.problem(height: image.height, width: image.width) {
                throw DatasetError(.usage, path: record.path, recordIndex: record.index, "--augment: \(problem)")
            }
            var rng = record.key.recordKey(copy: record.copy).generator(seed: seed)
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
