internal import ShardKitSupport
package import Examples
import RecordIO

/// Everything a writing command says about its dataset beyond the records. `DatasetWriter`
/// generates every side file from it (`features.json`, `dataset_info.json`, the label name files)
/// and `manifest.json` last, so convert, synth and generate describe their output one way.
package struct DatasetDescription {
    /// The version every dataset we write carries (TFDS wants one in `dataset_info.json`).
    package static let version = "1.0.0"

    package var name: String
    /// One sentence for `dataset_info.json`.
    package var description: String
    /// The features as TFDS describes them, in `features.json` order.
    package var features: [(String, TFDSFeature)]
    /// TFDS's `as_supervised` pair (input key, label key), when there is one.
    package var supervisedKeys: (String, String)? = nil
    /// Further files written beside the shards (e.g. `characters.json`).
    package var files: [(String, [UInt8])] = []
    /// Manifest metadata: how the dataset was made.
    package var metadata: [String: String] = [:]

    package init(
        name: String, description: String, features: [(String, TFDSFeature)],
        supervisedKeys: (String, String)? = nil, files: [(String, [UInt8])] = [], metadata: [String: String] = [:]
    ) {
        self.name = name
        self.description = description
        self.features = features
        self.supervisedKeys = supervisedKeys
        self.files = files
        self.metadata = metadata
    }

    /// The manifest's `image` entry, from the first image feature.
    package var image: ImageManifest? {
        for (key, feature) in features {
            if case .image(let shape, let encoding) = feature {
                return ImageManifest(key: key, shape: shape, encoding: encoding.rawValue)
            }
        }
        return nil
    }
}
