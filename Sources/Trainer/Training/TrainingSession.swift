import Dispatch
import Foundation
import Shards
import Imaging
import RecordIO

/// What a training run reached.
public struct TrainingResult: Sendable {
    /// Optimizer steps taken in total (including resumed ones).
    public var steps: Int
    /// Complete epochs.
    public var epochs: Int
    /// The best validation accuracy (nil without a validation split).
    public var bestValidationAccuracy: Double?
    /// The last validation metrics.
    public var lastValidation: Metrics?
    /// Mean training images per second in this run (data waits included; validation and
    /// checkpoint writing left out).
    public var imagesPerSecond: Double
    public var stoppedEarly: Bool
    public var latestCheckpoint: String
    public var bestCheckpoint: String?
}

/// The training loop: epochs or steps over the train split with the streaming loader, a
/// progress line every `logEvery` steps, validation after every epoch, the latest and the best
/// (by validation accuracy) checkpoints, early stopping after `patience` epochs without
/// improvement, and TensorBoard scalars (loss, accuracy, learning rate) and input images.
///
/// Checkpoints: `<checkpointDirectory>/latest.safetensors` after every epoch and at the end,
/// `best.safetensors` when the validation accuracy improves. With `resume`, training continues
/// from `latest.safetensors` at its step — weights, optimizer state, dropout generators and the
/// position in the data stream — so N steps plus N resumed steps equal 2N steps.
public final class TrainingSession {
    public let configuration: TrainingConfiguration
    public let model: Model
    public let optimizer: any Optimizer
    public let dataset: Dataset
    public let spec: InputSpec
    private var bestAccuracy: Double?
    private var staleEpochs = 0

    public init(_ configuration: TrainingConfiguration) throws {
        self.configuration = configuration
        dataset = try Dataset(directory: configuration.dataDirectory)
        let classes = dataset.manifest.metadata["classes"].flatMap { Int($0) }
        let shape: [Int]?
        switch configuration.modelName {
        case "hwdb", "classifier":
            // The stored images' size when every image has it, else (a folder of images of any
            // size, declared [None, None, C]) 64 × 64, to which each image is resized; hwdb is gray.
            shape = dataset.rawImageShape.map { stored in
                let channels = configuration.modelName == "hwdb" ? 1 : stored[2]
                return stored[0] > 0 && stored[1] > 0 ? [stored[0], stored[1], channels] : [64, 64, channels]
            }
        default: shape = nil
        }
        guard
            let model = Model.named(
                configuration.modelName, inputShape: shape, classes: classes, seed: configuration.seed)
        else {
            throw DataError(
                .unusable, path: configuration.modelName,
                message: "unknown model (known: \(Model.builtinNames.joined(separator: ", ")))")
        }
        self.model = model
        spec = InputSpec.forModel(model)
        try dataset.check(spec)
        let schedule = LearningRateSchedule(
            initial: configuration.learningRate, decayRate: configuration.decayRate,
            decaySteps: configuration.decaySteps)
        switch configuration.optimizer {
        case "sgd":
            optimizer = SGD(
                learningRate: schedule, momentum: configuration.momentum, weightDecay: configuration.weightDecay)
        case "adam":
            optimizer = Adam(learningRate: schedule, weightDecay: configuration.weightDecay)
        default:
            throw DataError(.unusable, path: configuration.optimizer, message: "unknown optimizer (sgd or adam)")
        }
    }

    public var latestPath: String { configuration.checkpointDirectory + "/latest.safetensors" }
    public var bestPath: String { configuration.checkpointDirectory + "/best.safetensors" }

    /// Trains; `log` receives the progress lines.
    public func run(log: (String) -> Void) throws -> TrainingResult {
        let c = configuration
        Model.setThreadCount(c.threads)
        try FileManager.default.createDirectory(atPath: c.checkpointDirectory, withIntermediateDirectories: true)
        let trainRecords = dataset.recordCount(c.trainSplit)
        let stepsPerEpoch = trainRecords / c.batchSize
        guard stepsPerEpoch > 0 else {
            throw DataError(
                .unusable, path: c.dataDirectory,
                message: "split '\(c.trainSplit)' has \(trainRecords) records, fewer than one batch of \(c.batchSize)")
        }
        let validation = c.validationSplit ?? dataset.validationSplit
        if c.resume {
            guard FileManager.default.fileExists(atPath: latestPath) else {
                throw DataError(.missing, path: latestPath, message: "--resume: no checkpoint to resume from")
            }
            let meta = try model.load(from: URL(fileURLWithPath: latestPath), optimizer: optimizer)
            if let b = meta["batch_size"].flatMap({ Int($0) }), b != c.batchSize {
                throw DataError(.unusable, path: latestPath, message: "--resume: checkpoint used batch \(b), not \(c.batchSize)")
            }
            bestAccuracy = meta["best_accuracy"].flatMap { Double($0) }
            staleEpochs = meta["stale_epochs"].flatMap { Int($0) } ?? 0
            log("resumed from \(latestPath) at step \(optimizer.step)")
        }
        let totalSteps = c.steps ?? (c.epochs ?? 1) * stepsPerEpoch
        let events = try c.logDirectory.map { try EventWriter(directory: $0) }
        defer { try? events?.close() }

        var lastValidation: Metrics?
        var stoppedEarly = false
        var imagesThisRun = 0
        let runStart = DispatchTime.now().uptimeNanoseconds
        var windowStart = runStart
        // Time spent validating and saving checkpoints, left out of the images/s figures.
        var windowPaused: UInt64 = 0
        var runPaused: UInt64 = 0
        var windowImages = 0
        var windowLoss = 0.0
        var windowSteps = 0
        var loggedImages = false

        while optimizer.step < totalSteps && !stoppedEarly {
            let epoch = optimizer.step / stepsPerEpoch
            let loader = try ShardLoader(
                dataset: dataset, split: c.trainSplit, spec: spec,
                options: .init(
                    batchSize: c.batchSize, training: true, seed: c.seed, epoch: epoch, shuffleBuffer: c.shuffleBuffer,
                    workers: c.loaderWorkers, skipBatches: optimizer.step % stepsPerEpoch))
            while optimizer.step < totalSteps, let batch = try loader.nextBatch() {
                if !loggedImages, let events, c.imagesToLog > 0 {
                    loggedImages = true
                    for i in 0..<min(c.imagesToLog, batch.count) {
                        try events.image("input/\(i)", Self.picture(batch.images, i), step: optimizer.step)
                    }
                }
                let rate = optimizer.schedule.rate(at: optimizer.step)
                let loss = model.trainStep(images: batch.images, labels: batch.labels, optimizer: optimizer)
                guard loss.isFinite else {
                    throw DataError(
                        .unusable, path: c.dataDirectory, message: "loss is \(loss) at step \(optimizer.step); lower --lr")
                }
                windowLoss += Double(loss)
                windowSteps += 1
                windowImages += batch.count
                imagesThisRun += batch.count
                let step = optimizer.step
                if step % c.logEvery == 0 || step == totalSteps {
                    // Accuracy on the current batch, after the update (one extra forward pass).
                    var m = Metrics(isDigitString: spec.isDigitString, classes: model.heads[0].classes)
                    m.add(logits: model.predict(batch.images), labels: batch.labels)
                    let now = DispatchTime.now().uptimeNanoseconds
                    let speed = Double(windowImages) / max(1e-9, Double(now - windowStart - windowPaused) * 1e-9)
                    let meanLoss = windowLoss / Double(max(1, windowSteps))
                    log(
                        "step \(step)/\(totalSteps) epoch \(epoch + 1) loss \(fmt(meanLoss, 4)) accuracy \(fmt(m.accuracy * 100, 1))% lr \(rate) \(Int(speed)) images/s"
                    )
                    try events?.scalars(
                        [
                            ("loss", Float(meanLoss)), ("accuracy", Float(m.accuracy)), ("learning_rate", rate),
                            ("images_per_second", Float(speed)),
                        ], step: step)
                    try events?.flush()
                    windowStart = now
                    windowPaused = 0
                    windowImages = 0
                    windowLoss = 0
                    windowSteps = 0
                }
            }
            let step = optimizer.step
            let pauseStart = DispatchTime.now().uptimeNanoseconds
            defer {
                let paused = DispatchTime.now().uptimeNanoseconds - pauseStart
                windowPaused += paused
                runPaused += paused
            }
            let epochDone = step % stepsPerEpoch == 0
            if let validation, epochDone || step == totalSteps {
                let m = try Evaluation.run(
                    model: model, dataset: dataset, split: validation, spec: spec, workers: c.loaderWorkers)
                lastValidation = m
                var line = "validation (\(validation)) after step \(step): accuracy \(fmt(m.accuracy * 100, 2))%"
                if spec.isDigitString {
                    line += ", per digit \(fmt(m.digitAccuracy * 100, 2))%, length \(fmt(m.lengthAccuracy * 100, 2))%"
                } else {
                    line += ", top-3 \(fmt(m.top3Accuracy * 100, 2))%"
                }
                line += ", loss \(fmt(m.meanLoss, 4))"
                log(line)
                try events?.scalars(
                    [("validation/accuracy", Float(m.accuracy)), ("validation/loss", Float(m.meanLoss))], step: step)
                try events?.flush()
                if bestAccuracy == nil || m.accuracy > bestAccuracy! {
                    bestAccuracy = m.accuracy
                    staleEpochs = 0
                    try save(to: bestPath, step: step, stepsPerEpoch: stepsPerEpoch, validation: m.accuracy)
                } else if epochDone {
                    staleEpochs += 1
                    if let patience = c.patience, staleEpochs >= patience {
                        log("early stop: no better validation accuracy for \(staleEpochs) epochs")
                        stoppedEarly = true
                    }
                }
            }
            try save(to: latestPath, step: step, stepsPerEpoch: stepsPerEpoch, validation: lastValidation?.accuracy)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - runStart - runPaused) * 1e-9
        return TrainingResult(
            steps: optimizer.step, epochs: optimizer.step / stepsPerEpoch, bestValidationAccuracy: bestAccuracy,
            lastValidation: lastValidation, imagesPerSecond: Double(imagesThisRun) / max(seconds, 1e-9),
            stoppedEarly: stoppedEarly, latestCheckpoint: latestPath,
            bestCheckpoint: FileManager.default.fileExists(atPath: bestPath) ? bestPath : nil)
    }

    private func save(to path: String, step: Int, stepsPerEpoch: Int, validation: Double?) throws {
        let c = configuration
        var extra: [String: String] = [
            "epoch": String(step / stepsPerEpoch), "batch_size": String(c.batchSize), "seed": String(c.seed),
            "steps_per_epoch": String(stepsPerEpoch), "stale_epochs": String(staleEpochs),
            "normalization": spec.normalization.rawValue, "eval_augment": spec.evalAugment.description,
            "dataset": dataset.manifest.name,
        ]
        if let bestAccuracy { extra["best_accuracy"] = String(bestAccuracy) }
        if let validation { extra["validation_accuracy"] = String(validation) }
        // Only a size every stored image has (a folder of images of any size declares -1).
        if let s = dataset.rawImageShape, s.allSatisfy({ $0 > 0 }) {
            extra["source_shape"] = s.map(String.init).joined(separator: "x")
        }
        try Self.checkpoint(model: model, optimizer: optimizer, extra: extra).write(to: URL(fileURLWithPath: path))
    }

    /// Image `i` of a batch as 8-bit pixels, its values stretched to 0...255 (for TensorBoard).
    static func picture(_ images: Tensor, _ i: Int) -> Image {
        let (h, w, ch) = (images.shape[1], images.shape[2], images.shape[3])
        let n = h * w * ch
        let values = images.scalars[(i * n)..<((i + 1) * n)]
        let lo = values.min() ?? 0
        let hi = values.max() ?? 1
        let scale = hi > lo ? 255 / (hi - lo) : 0
        return Image(
            height: h, width: w, channels: ch,
            pixels: values.map { UInt8(max(0, min(255, (($0 - lo) * scale).rounded()))) })
    }
}

/// `value` with `digits` decimals.
func fmt(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

extension TrainingSession {
    /// Runs only the input pipeline (read, decode, augment, batch) over the train split for up
    /// to `batches` batches, without training; returns images per second. For checking that the
    /// loader keeps ahead of the compute.
    public func measureInput(batches: Int) throws -> (images: Int, seconds: Double) {
        let c = configuration
        var images = 0
        var epoch = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var remaining = batches
        while remaining > 0 {
            let loader = try ShardLoader(
                dataset: dataset, split: c.trainSplit, spec: spec,
                options: .init(
                    batchSize: c.batchSize, training: true, seed: c.seed, epoch: epoch, shuffleBuffer: c.shuffleBuffer,
                    workers: c.loaderWorkers))
            var any = false
            while remaining > 0, let batch = try loader.nextBatch() {
                images += batch.count
                remaining -= 1
                any = true
            }
            if !any { break }
            epoch += 1
        }
        return (images, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
}
