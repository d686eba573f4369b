import Examples
import Imaging

/// How the `image` feature of a converted record is stored.
public enum ImageEncoding: String, Sendable, CaseIterable {
    /// PNG bytes (lossless; what TensorFlow Datasets stores for MNIST and CIFAR).
    case png
    /// JPEG bytes, quality 95.
    case jpeg
    /// The pixel bytes as they are, row-major H×W×C; the shape is recorded in the metadata.
    case raw
}

/// One record as the reader thread hands it to the encoding workers: the image still decoded,
/// every other feature final. The workers do the per-record work (resize, image encoding,
/// Example serialization), so nothing here may depend on which worker runs it.
struct PendingRecord: Sendable {
    /// Index of the split (in the pass's split list) the record belongs to.
    var split: Int
    /// Source file and record index, for error messages.
    var path: String
    var index: Int
    var image: Image
    /// Resize the image to `side × side` before encoding (HWDB), or keep it as it is.
    var resizeSide: Int?
    /// Every feature except `image`.
    var features: [String: Feature]
}

/// The per-record work, a pure function of the record: the same record gives the same bytes on
/// any thread.
struct RecordEncoder: Sendable {
    var encoding: ImageEncoding
    var jpegQuality = 95

    /// Appends the serialized `tf.train.Example` of `record` to `buffer`.
    func encode(_ record: PendingRecord, into buffer: inout [UInt8]) throws(PipelineError) {
        var image = record.image
        if let side = record.resizeSide, image.height != side || image.width != side {
            image = image.resizedBilinear(height: side, width: side)
        }
        let bytes: [UInt8]
        do {
            switch encoding {
            case .png: bytes = try PNGCodec.encode(image)
            case .jpeg: bytes = try JPEGCodec.encode(image, quality: jpegQuality)
            case .raw: bytes = image.pixels
            }
        } catch {
            throw PipelineError(
                .badInput, path: record.path, recordIndex: record.index,
                "cannot encode the image as \(encoding.rawValue): \(error)")
        }
        var features = record.features
        features["image"] = .bytes([bytes])
        Example(features).serialize(into: &buffer)
    }
}
