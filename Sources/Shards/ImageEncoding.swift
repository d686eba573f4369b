internal import ShardKitSupport
import RecordIO
/// How the `image` feature of a converted record is stored.
public enum ImageEncoding: String, Codable, Sendable, CaseIterable {
    /// PNG bytes (lossless; what TensorFlow Datasets stores for MNIST and CIFAR).
    case png
    /// JPEG bytes, quality 95.
    case jpeg
    /// The pixel bytes as they are, row-major H×W×C; the shape is recorded in the metadata.
    case raw
}
