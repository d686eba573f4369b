package import Imaging
import RecordIO
internal import ShardKitSupport

/// What every record of a dataset holds, declared by the recipe that makes the records (a
/// format's `ConversionPlan`, synth's and generate's writers): the features with their kinds and
/// shapes as TFDS describes them, the stored image's shape and encoding, and the class names.
/// `DatasetWriter` generates `features.json`, the label name files and the manifest's `image`
/// entry from it, and readers take the image's encoding and shape back from that entry.
package struct DatasetSpec: Sendable {
    /// The features as TFDS describes them, in `features.json` order.
    package var features: [(String, TFDSFeature)]
    /// TFDS's `as_supervised` pair (input key, label key), when there is one.
    package var supervisedKeys: (String, String)?
    /// The images of splits stored in another shape than `image` says, by split: an
    /// augmentation that crops, resizes or grays some splits only (see `augmented(by:splits:of:)`).
    package var splitImages: [String: ImageSpec] = [:]

    package init(features: [(String, TFDSFeature)], supervisedKeys: (String, String)? = nil) {
        self.features = features
        self.supervisedKeys = supervisedKeys
    }

    /// The stored images, from the first image feature; nil when the records hold none.
    package var image: ImageSpec? {
        for (key, feature) in features {
            guard case .image(let shape, let encoding) = feature else { continue }
            // A recipe declares its own shapes: one the manifest could not hold is a bug here.
            guard let spec = ImageSpec(key: key, shape: shape, encoding: encoding) else {
                preconditionFailure("an image feature's shape is [height, width, 1 or 3] (-1: varies), not \(shape)")
            }
            return spec
        }
        return nil
    }

    /// This spec once `augment` has run on the records of `augmented` among the dataset's splits
    /// `all`: when its crops, resizes or `gray` change the image's shape, the image is declared in
    /// that shape, for every split when all are augmented, else for those splits alone. Raw
    /// images of two shapes in one dataset are refused (`.usage`): TFDS and the trainer take
    /// their shape from the spec, one per feature.
    package func augmented(by augment: AugmentSpec?, splits augmented: Set<String>, of all: [String])
        throws(DatasetError) -> DatasetSpec
    {
        guard let augment, let stored = image else { return self }
        let (height, width, channels) = augment.outputShape(
            height: stored.height, width: stored.width, channels: stored.channels)
        let changed = ImageSpec(
            key: stored.key, height: height, width: width, channels: channels, encoding: stored.encoding)
        let touched = all.filter(augmented.contains)
        guard changed != stored, !touched.isEmpty else { return self }
        var spec = self
        if touched.count == all.count {
            spec.features = features.map { key, feature in
                guard key == stored.key else { return (key, feature) }
                return (key, .image(shape: changed.shape, encoding: stored.encoding))
            }
            return spec
        }
        guard stored.encoding != .raw else {
            let others = all.filter { !augmented.contains($0) }.joined(separator: ", ")
            throw DatasetError(
                .usage,
                "--augment \(augment) stores \(touched.joined(separator: ", ")) as \(changed.shapeText) raw images but "
                    + "\(others) as \(stored.shapeText); raw images have one shape per dataset: augment every split "
                    + "(--augment-splits), or store png")
        }
        for split in touched { spec.splitImages[split] = changed }
        return spec
    }

    /// The features as `features.json` declares them: a dimension of the image that differs
    /// between splits is -1, TFDS's unknown size.
    package var tfdsFeatures: [(String, TFDSFeature)] {
        guard let stored = image, !splitImages.isEmpty else { return features }
        var dims = stored.shape
        for other in splitImages.values {
            for (axis, size) in other.shape.enumerated() where dims[axis] != size { dims[axis] = -1 }
        }
        return features.map { key, feature in
            key == stored.key ? (key, .image(shape: dims, encoding: stored.encoding)) : (key, feature)
        }
    }
}

/// Everything a writing command says about its dataset beyond the records: its spec, name and
/// the facts of how it was made. `DatasetWriter` generates every side file from it
/// (`features.json`, `dataset_info.json`, the label name files) and `manifest.json` last, so
/// convert, synth and generate describe their output one way.
package struct DatasetDescription {
    /// The version every dataset we write carries (TFDS wants one in `dataset_info.json`).
    package static let version = "1.0.0"

    package var name: String
    /// One sentence for `dataset_info.json`.
    package var description: String
    /// What the records hold.
    package var spec: DatasetSpec
    /// Further files written beside the shards (e.g. `characters.json`).
    package var files: [(String, [UInt8])] = []
    /// Manifest metadata: how the dataset was made.
    package var metadata: [String: String] = [:]

    package init(
        name: String, description: String, spec: DatasetSpec, files: [(String, [UInt8])] = [],
        metadata: [String: String] = [:]
    ) {
        self.name = name
        self.description = description
        self.spec = spec
        self.files = files
        self.metadata = metadata
    }
}
