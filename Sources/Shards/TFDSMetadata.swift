internal import ShardKitSupport
import Foundation
import RecordIO

/// A feature as TensorFlow Datasets describes it in `features.json` (the JSON form of its
/// `FeaturesDict` proto), so `tfds.builder_from_directory` can decode our records.
/// formats/tfds-directory.md explains the layout.
package indirect enum TFDSFeature: Sendable {
    /// An encoded image (`encoding` png or jpeg) or, for `.raw`, a uint8 tensor stored as bytes.
    case image(shape: [Int], encoding: ImageEncoding)
    /// An int64 class index with `count` classes; `names` go to `{key}.labels.txt`.
    case classLabel(count: Int, names: [String]?)
    /// UTF-8 text (a bytes feature).
    case text
    /// One int64.
    case int64
    /// One float32.
    case float
    /// A fixed-shape int64 tensor.
    case int64Tensor(shape: [Int])
    /// A variable-length list of int64.
    case int64Sequence
    /// Nested features; their keys are joined with "/" in the records (`bbox/left`).
    case dict([(String, TFDSFeature)])

    private static let prefix = "tensorflow_datasets.core.features."

    /// The JSON object of this feature.
    var json: [String: Any] {
        func shape(_ dims: [Int]) -> [String: Any] {
            dims.isEmpty ? [:] : ["dimensions": dims.map(String.init)]
        }
        switch self {
        case .image(let dims, .raw):
            return [
                "pythonClassName": Self.prefix + "tensor_feature.Tensor",
                "tensor": ["shape": shape(dims), "dtype": "uint8", "encoding": "bytes"],
            ]
        case .image(let dims, let encoding):
            return [
                "pythonClassName": Self.prefix + "image_feature.Image",
                "image": ["shape": shape(dims), "dtype": "uint8", "encodingFormat": encoding.rawValue],
            ]
        case .classLabel(let count, _):
            return [
                "pythonClassName": Self.prefix + "class_label_feature.ClassLabel",
                "classLabel": ["numClasses": String(count)],
            ]
        case .text:
            return ["pythonClassName": Self.prefix + "text_feature.Text", "text": [String: Any]()]
        case .int64:
            return [
                "pythonClassName": Self.prefix + "scalar.Scalar",
                "tensor": ["shape": [String: Any](), "dtype": "int64", "encoding": "none"],
            ]
        case .float:
            return [
                "pythonClassName": Self.prefix + "scalar.Scalar",
                "tensor": ["shape": [String: Any](), "dtype": "float32", "encoding": "none"],
            ]
        case .int64Tensor(let dims):
            return [
                "pythonClassName": Self.prefix + "tensor_feature.Tensor",
                "tensor": ["shape": shape(dims), "dtype": "int64", "encoding": "none"],
            ]
        case .int64Sequence:
            return [
                "pythonClassName": Self.prefix + "sequence_feature.Sequence",
                "sequence": ["feature": TFDSFeature.int64.json, "length": "-1"],
            ]
        case .dict(let members):
            var features: [String: Any] = [:]
            for (key, feature) in members { features[key] = feature.json }
            return [
                "pythonClassName": Self.prefix + "features_dict.FeaturesDict",
                "featuresDict": ["features": features],
            ]
        }
    }
}

/// Builds the TFDS side files of a converted dataset.
package enum TFDSMetadata {
    /// `features.json` for the top-level `features`.
    package static func featuresJSON(_ features: [(String, TFDSFeature)]) -> [UInt8] {
        encode(TFDSFeature.dict(features).json)
    }

    /// `{key}.labels.txt` for every top-level class label with names.
    package static func labelFiles(_ features: [(String, TFDSFeature)]) -> [(String, [UInt8])] {
        features.compactMap { key, feature in
            guard case .classLabel(_, let names?) = feature else { return nil }
            return ("\(key).labels.txt", Array((names.joined(separator: "\n") + "\n").utf8))
        }
    }

    /// `dataset_info.json`: name, version, file format and per split the shard lengths and bytes.
    package static func datasetInfoJSON(
        name: String, version: String, description: String, splits: [(name: String, manifest: SplitManifest)],
        supervisedKeys: (String, String)?
    ) -> [UInt8] {
        var info: [String: Any] = [
            "name": name,
            "version": version,
            "description": description,
            "fileFormat": "tfrecord",
            "moduleName": "shardkit",
            "splits": splits.map { split -> [String: Any] in
                [
                    "name": split.name,
                    "filepathTemplate": "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
                    "shardLengths": split.manifest.shards.map { String($0.records) },
                    "numBytes": String(split.manifest.bytes),
                ]
            },
        ]
        if let (input, label) = supervisedKeys {
            info["supervisedKeys"] = ["tuple": ["items": [["featureKey": input], ["featureKey": label]]]]
        }
        return encode(info)
    }

    private static func encode(_ object: [String: Any]) -> [UInt8] {
        // Only strings, arrays and dictionaries go in: serialization cannot fail.
        let data = try! JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }
}
