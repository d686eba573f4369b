import Foundation

/// A model restored from a checkpoint written by `TrainingSession`, with the preprocessing it
/// was trained with, read back from the checkpoint's metadata (`InputSpec.metadata`): the
/// normalization, the evaluation augmentation, the labels and the input shape. Only a
/// checkpoint that predates a key falls back on the built-in model's own value for it.
public struct TrainedModel {
    /// The built-in model named in the checkpoint, with its weights loaded.
    public let model: Model
    /// How to prepare images for it, as recorded at training time.
    public let spec: InputSpec
    /// The checkpoint's metadata as stored (`model`, `input_shape`, `step`, `adaptation`, …).
    public let metadata: [String: String]
    /// The dataset's raw image shape `[H, W, C]` at training time, if recorded.
    public let sourceShape: [Int]?

    /// Builds the model named in the checkpoint's metadata and loads its weights. Throws
    /// `CheckpointError` for a file that cannot be read, an unknown model, a missing or misshapen
    /// tensor, or metadata that do not fit the weights.
    public init(checkpoint path: String) throws {
        let c = try Checkpoint.read(from: URL(fileURLWithPath: path))
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, offset: nil, message: m) }
        guard let name = c.metadata["model"] else { throw fail("no 'model' in the metadata") }
        let shape = c.metadata["input_shape"]?.split(separator: ",").compactMap { Int($0) }
        let classes = c.metadata["classes"].flatMap { Int($0) }
        guard let model = Model.named(name, inputShape: shape, classes: classes) else {
            throw fail("unknown model '\(name)'")
        }
        try model.restore(from: c, path: path)
        self.model = model
        do {
            spec = try InputSpec(metadata: c.metadata, fallback: InputSpec.forModel(model))
        } catch {
            throw fail("\(error)")
        }
        guard spec.inputShape == model.inputShape, spec.headCount == model.heads.count else {
            throw fail(
                "metadata describe input \(spec.inputShape) with \(spec.headCount) heads, the weights \(model.inputShape) with \(model.heads.count)"
            )
        }
        metadata = c.metadata
        sourceShape = c.metadata["source_shape"]?.split(separator: "x").compactMap { Int($0) }
    }
}

extension TrainingSession {
    /// The checkpoint with the training run's own metadata added.
    static func checkpoint(
        model: Model, optimizer: any Optimizer, extra: [String: String]
    ) -> Checkpoint {
        var c = model.checkpoint(optimizer: optimizer)
        for (k, v) in extra { c.metadata[k] = v }
        c.metadata["classes"] = String(model.heads[0].classes)
        return c
    }
}
