/// Runs a model over a split without training and accumulates `Metrics`.
public enum Evaluation {
    /// Metrics (and the mean loss) of `model` on `split`, with the evaluation preprocessing.
    public static func run(
        model: Model, dataset: Dataset, split: String, spec: InputSpec, batchSize: Int = 100, workers: Int = 1
    ) throws(DataError) -> Metrics {
        var metrics = Metrics(isDigitString: spec.isDigitString, classes: model.heads[0].classes)
        let loader = try ShardLoader(
            dataset: dataset, split: split, spec: spec,
            options: .init(batchSize: batchSize, training: false, workers: workers))
        while let batch = try loader.nextBatch() {
            let logits = model.predict(batch.images)
            var loss: Float = 0
            for h in logits.indices { loss += SoftmaxCrossEntropy.loss(logits: logits[h], labels: batch.labels[h]) }
            metrics.addLoss(loss)
            metrics.add(logits: logits, labels: batch.labels)
        }
        return metrics
    }
}
