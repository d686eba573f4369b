import Dispatch
import Foundation
import Imaging
import RecordIO
import Shards

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
    /// Whether training stopped because the validation accuracy did not improve for `patience` epochs.
    public var stoppedEarly: Bool
    /// The path of `latest.safetensors`, the checkpoint at the last step.
    public var latestCheckpoint: String
    /// The path of `best.safetensors` (the best validation accuracy), nil when there is none.
    public var bestCheckpoint: String?
}

/// The training loop: epochs or steps over the train split with the streaming loader, a
/// progress line every `logEvery` steps, validation after every epoch, the latest and the best
/// (by validation accuracy) checkpoints, early stopping after `patience` epochs without
/// improvement, and TensorBoard scalars (loss, accuracy, learning rate) and input images.
///
/// Everything goes into one run directory (`RunDirectory`): `config.json`, the event file,
/// `latest.safetensors` after every epoch, every `checkpointEvery` steps and at the end, and
/// `best.safetensors` when the validation accuracy improves. Checkpoints are written atomically
/// (temporary file, fsync, rename), so a crash, an interrupt or a full disk leaves the previous
/// one whole. With `resume`, training continues from `latest.safetensors` at its step — weights,
/// optimizer state (Adam moments, step count, so the learning-rate schedule's position), dropout
/// generators and the position in the data stream — so N steps plus N resumed steps equal 2N
/// steps, bit for bit. A run stopped by SIGINT or SIGTERM keeps its last checkpoint (`RunGuard`).
public final class TrainingSession {
    /// The configuration as resolved: the batch fitted to a small train split, `decayEpochs`
    /// turned into `decaySteps`, and a cosine schedule's length in steps.
    public let configuration: TrainingConfiguration
    /// The model being trained; after `run(log:)`, it holds the last step's weights.
    public let model: Model
    /// The optimizer `configuration.optimizer` names, with the configured schedule.
    let optimizer: any Optimizer
    /// The dataset read (`configuration.dataDirectory`).
    public let dataset: Dataset
    /// How the dataset's records become the model's inputs (recorded in every checkpoint).
    public let spec: InputSpec
    /// Where the run's files go (`configuration.runDirectory`).
    public let runDirectory: RunDirectory
    /// How the model adapted to the data, when it did (see `ModelFit`), for the caller to print;
    /// recorded in the checkpoints as `adaptation`.
    public let adaptation: String?
    /// Set when the batch was made smaller than asked for, to fit the train split, for the caller
    /// to print.
    public let batchNote: String?
    private var bestAccuracy: Double?
    private var lastValidationAccuracy: Double?
    private var staleEpochs = 0
    private var guardian: RunGuard?
    /// The run directory's lock while `run` writes into it (`RunDirectory.lock()`).
    private var runLock: OutputLock?

    /// Reads the dataset's manifest, builds the model and the optimizer, and checks that the model
    /// fits the data; nothing is written yet. Throws `DataError`: `missing` without a readable
    /// manifest, `unusable` for an unknown model or optimizer or images the model cannot take,
    /// `malformed` when the dataset lacks a feature the model reads.
    public init(_ asked: TrainingConfiguration) throws {
        var configuration = asked
        dataset = try Dataset(directory: configuration.dataDirectory)
        // A train split smaller than one batch (a small sample of a dataset) trains on batches of
        // the whole split rather than on none.
        let trainRecords = dataset.recordCount(configuration.trainSplit)
        if trainRecords > 0 && trainRecords < configuration.batchSize {
            batchNote =
                "the \(configuration.trainSplit) split has \(trainRecords) records, fewer than a batch of \(configuration.batchSize): batches of \(trainRecords)"
            configuration.batchSize = trainRecords
        } else {
            batchNote = nil
        }
        let stepsPerEpoch = max(1, trainRecords / max(1, configuration.batchSize))
        if let epochs = configuration.decayEpochs {
            configuration.decaySteps = max(1, epochs * stepsPerEpoch)
        }
        if configuration.schedule == .cosine {
            configuration.cosineSteps = configuration.steps ?? (configuration.epochs ?? 1) * stepsPerEpoch
        }
        self.configuration = configuration
        runDirectory = RunDirectory(configuration.runDirectory)
        let classes = dataset.manifest.metadata["classes"].flatMap { Int($0) }
        let fit = try ModelFit.input(
            model: configuration.modelName, datasetShape: dataset.storedImageShape(configuration.trainSplit),
            dataset: configuration.dataDirectory)
        let shape = fit.shape
        var adaptation = fit.note
        guard
            let model = Model.named(
                configuration.modelName, inputShape: shape, classes: classes, seed: configuration.seed)
        else {
            throw DataError(
                .unusable, path: configuration.modelName,
                message: "unknown model (known: \(Model.builtinNames.joined(separator: ", ")))")
        }
        self.model = model
        if ["hwdb", "classifier"].contains(model.name) && classes == nil {
            let missing = "\(model.heads[0].classes) classes (the manifest records no class count)"
            adaptation = adaptation.map { "\($0); \(missing)" } ?? "\(model.name): \(missing)"
        }
        self.adaptation = adaptation
        var spec = InputSpec.forModel(model)
        spec.imageKey = try dataset.storedImage(configuration.trainSplit).key  // recorded in checkpoints
        try dataset.check(spec)
        self.spec = spec
        let schedule =
            switch configuration.schedule {
            case .exponential:
                LearningRateSchedule(
                    initial: configuration.learningRate, decayRate: configuration.decayRate,
                    decaySteps: configuration.decaySteps)
            case .cosine:
                LearningRateSchedule.cosine(
                    initial: configuration.learningRate, steps: max(1, configuration.cosineSteps ?? 1),
                    finalFraction: LearningRateShape.cosineFinalFraction)
            }
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

    /// Where `latest.safetensors` goes (`RunDirectory.latestPath`).
    public var latestPath: String { runDirectory.latestPath }
    /// Where `best.safetensors` goes (`RunDirectory.bestPath`).
    public var bestPath: String { runDirectory.bestPath }

    /// Trains; `log` receives the progress lines. A run that fails before its first checkpoint
    /// removes what it wrote. One run at a time per run directory: a second one into the same
    /// folder fails at once with `TrainingOutputError.busy` (exit 75), changing nothing. Throws
    /// `TrainingOutputError` (a run directory that already holds a run or that another run is
    /// writing into, a write that fails), `DataError` (a record that does not fit, a diverging
    /// loss, `resume` without a checkpoint or with other settings than the run it continues) and
    /// `CheckpointError` (a checkpoint to resume that does not fit the model).
    public func run(log: (String) -> Void) throws -> TrainingResult {
        do {
            let result = try train(log: log)
            guardian?.finish(unlock: releaseRunLock)
            return result
        } catch {
            guardian?.abandon(unlock: releaseRunLock)
            throw error
        }
    }

    private func releaseRunLock() {
        runLock?.release()
        runLock = nil
    }

    /// Takes the run directory's lock (under the run guard, which removes its file on an interrupt).
    private func lockRunDirectory(_ s: inout RunGuard.State) throws {
        runLock = try runDirectory.lock()
        s.lockFile = runDirectory.lockPath
    }

    private func train(log: (String) -> Void) throws -> TrainingResult {
        let c = configuration
        Model.setThreadCount(c.threads)
        let trainRecords = dataset.recordCount(c.trainSplit)
        let stepsPerEpoch = trainRecords / c.batchSize
        guard stepsPerEpoch > 0 else {
            _ = try dataset.shardPaths(c.trainSplit)  // names the splits there are, if it is missing
            throw DataError(.unusable, path: c.dataDirectory, message: "split '\(c.trainSplit)' has no records")
        }
        let validation = c.validationSplit ?? dataset.validationSplit
        var resumedFrom: Int?
        let guardian = RunGuard()
        self.guardian = guardian
        if c.resume {
            let removed = try guardian.perform { s in
                // Without the folder there is nothing to resume: prepareForResume says so.
                if isDirectory(runDirectory.path) { try lockRunDirectory(&s) }
                return try runDirectory.prepareForResume()
            }
            for path in removed { log("removed \(path), left by a run that was killed") }
            let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: latestPath))
            let meta = checkpoint.metadata
            try checkSameTrajectory(meta)
            try model.restore(from: checkpoint, optimizer: optimizer, path: latestPath)
            bestAccuracy = meta["best_accuracy"].flatMap { Double($0) }
            lastValidationAccuracy = meta["validation_accuracy"].flatMap { Double($0) }
            staleEpochs = meta["stale_epochs"].flatMap { Int($0) } ?? 0
            let step = optimizer.step
            resumedFrom = step
            try guardian.perform { $0.kept = (latestPath, step) }
            log("resumed from \(latestPath) at step \(step)")
        } else {
            // The folder is made first, so that its lock is taken before anything in it is looked at.
            let removed = try guardian.perform { s in
                if try runDirectory.createIfNeeded() { s.madeDirectory = runDirectory.path }
                try lockRunDirectory(&s)
                return try runDirectory.prepareForNewRun(overwrite: c.overwrite)
            }
            if !removed.isEmpty { log("--overwrite: removed the previous run's \(removed.joined(separator: ", "))") }
        }
        let config = c.json(
            spec: spec, validationSplit: validation, stepsPerEpoch: stepsPerEpoch, resumedFrom: resumedFrom)
        try guardian.perform { s in
            s.madeFiles.append(runDirectory.configPath)
            try RunDirectory.write(Array(config.utf8), to: runDirectory.configPath)
        }
        let totalSteps = c.steps ?? (c.epochs ?? 1) * stepsPerEpoch
        let events = try guardian.perform { s in
            let writer = try EventWriter(directory: runDirectory.path)
            s.madeFiles.append(writer.path)
            return writer
        }
        defer { try? events.close() }

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
                if !loggedImages, c.imagesToLog > 0 {
                    loggedImages = true
                    for i in 0..<min(c.imagesToLog, batch.count) {
                        try events.image("input/\(i)", Self.picture(batch.images, i), step: optimizer.step)
                    }
                }
                let rate = optimizer.schedule.rate(at: optimizer.step)
                let loss = model.trainStep(images: batch.images, labels: batch.labels, optimizer: optimizer)
                guard loss.isFinite else {
                    throw DataError(
                        .unusable, path: c.dataDirectory,
                        message: "loss is \(loss) at step \(optimizer.step); lower --lr")
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
                    try events.scalars(
                        [
                            ("loss", Float(meanLoss)), ("accuracy", Float(m.accuracy)), ("learning_rate", rate),
                            ("images_per_second", Float(speed)),
                        ], step: step)
                    try events.flush()
                    windowStart = now
                    windowPaused = 0
                    windowImages = 0
                    windowLoss = 0
                    windowSteps = 0
                }
                if let every = c.checkpointEvery, step % every == 0, step % stepsPerEpoch != 0, step != totalSteps {
                    let pauseStart = DispatchTime.now().uptimeNanoseconds
                    try save(to: latestPath, step: step, stepsPerEpoch: stepsPerEpoch)
                    let paused = DispatchTime.now().uptimeNanoseconds - pauseStart
                    windowPaused += paused
                    runPaused += paused
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
                lastValidationAccuracy = m.accuracy
                var line = "validation (\(validation)) after step \(step): accuracy \(fmt(m.accuracy * 100, 2))%"
                if spec.isDigitString {
                    line += ", per digit \(fmt(m.digitAccuracy * 100, 2))%, length \(fmt(m.lengthAccuracy * 100, 2))%"
                } else {
                    line += ", top-3 \(fmt(m.top3Accuracy * 100, 2))%"
                }
                line += ", loss \(fmt(m.meanLoss, 4))"
                log(line)
                try events.scalars(
                    [("validation/accuracy", Float(m.accuracy)), ("validation/loss", Float(m.meanLoss))], step: step)
                try events.flush()
                if bestAccuracy == nil || m.accuracy > bestAccuracy! {
                    bestAccuracy = m.accuracy
                    staleEpochs = 0
                    try save(to: bestPath, step: step, stepsPerEpoch: stepsPerEpoch)
                } else if epochDone {
                    staleEpochs += 1
                    if let patience = c.patience, staleEpochs >= patience {
                        log("early stop: no better validation accuracy for \(staleEpochs) epochs")
                        stoppedEarly = true
                    }
                }
            }
            try save(to: latestPath, step: step, stepsPerEpoch: stepsPerEpoch)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - runStart - runPaused) * 1e-9
        return TrainingResult(
            steps: optimizer.step, epochs: optimizer.step / stepsPerEpoch, bestValidationAccuracy: bestAccuracy,
            lastValidation: lastValidation, imagesPerSecond: Double(imagesThisRun) / max(seconds, 1e-9),
            stoppedEarly: stoppedEarly, latestCheckpoint: latestPath,
            bestCheckpoint: FileManager.default.fileExists(atPath: bestPath) ? bestPath : nil)
    }

    /// Writes a checkpoint (under the run guard's lock). A failed write names the file, says
    /// that the previous checkpoint is kept, and is an output failure (exit 74).
    private func save(to path: String, step: Int, stepsPerEpoch: Int) throws {
        let c = configuration
        var extra = c.trajectoryMetadata.merging(spec.metadata) { a, _ in a }
        extra.merge([
            "epoch": String(step / stepsPerEpoch), "steps_per_epoch": String(stepsPerEpoch),
            "stale_epochs": String(staleEpochs), "dataset": dataset.manifest.name,
        ]) { a, _ in a }
        if let bestAccuracy { extra["best_accuracy"] = String(bestAccuracy) }
        if let lastValidationAccuracy { extra["validation_accuracy"] = String(lastValidationAccuracy) }
        // Only a size every stored image has (a folder of images of any size declares -1).
        if let s = dataset.storedImageShape(c.trainSplit), s.allSatisfy({ $0 > 0 }) {
            extra["source_shape"] = s.map(String.init).joined(separator: "x")
        }
        if let adaptation { extra["adaptation"] = adaptation }
        // Encoded before taking the lock, so an interrupt waits at most for the write itself.
        let bytes = Self.checkpoint(model: model, optimizer: optimizer, extra: extra).encoded()
        do {
            try guardian!.perform { s in
                try RunDirectory.write(bytes, to: path)
                if path == latestPath { s.kept = (path, step) }
            }
        } catch var failure as TrainingOutputError {
            if let kept = guardian!.kept {
                failure.message += "; kept the previous checkpoint \(kept.path) (step \(kept.step))"
            }
            throw failure
        }
    }

    /// A resumed run continues bit for bit only with the settings the checkpoint was trained
    /// with: any difference is a usage error naming the setting.
    private func checkSameTrajectory(_ saved: [String: String]) throws {
        var now = configuration.trajectoryMetadata
        var saved = saved
        // Checkpoints from before the cosine schedule record none: theirs was exponential.
        saved["schedule"] = saved["schedule"] ?? LearningRateShape.exponential.rawValue
        now["model"] = model.name
        now["optimizer"] = optimizer.kind
        for key in now.keys.sorted() {
            guard let was = saved[key], was != now[key] else { continue }
            throw DataError(
                .unusable, path: latestPath,
                message:
                    "--resume: the checkpoint was trained with \(key) \(was), not \(now[key]!); give the same settings to continue it"
            )
        }
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
    package func measureInput(batches: Int) throws -> (images: Int, seconds: Double) {
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
