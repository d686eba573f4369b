/// Everything a training run needs; `shardkit train` fills it from its options.
public struct TrainingConfiguration: Sendable {
    public var dataDirectory: String
    public var modelName: String
    /// Train for this many epochs (passes over the train split)…
    public var epochs: Int?
    /// …or until the optimizer has taken this many steps in total (counting resumed ones).
    public var steps: Int?
    public var batchSize: Int = 64
    public var learningRate: Float = 0.001
    /// "adam" or "sgd" (with `momentum`).
    public var optimizer: String = "adam"
    public var momentum: Float = 0.9
    /// Exponential decay: the rate is multiplied by `decayRate` every `decaySteps` steps.
    public var decayRate: Float = 1
    public var decaySteps: Int = 1000
    /// Decoupled weight decay (see `Optimizer`).
    public var weightDecay: Float = 0
    public var seed: UInt64 = 0
    /// A progress line (and TensorBoard scalars) every this many steps.
    public var logEvery: Int = 50
    /// Stop after this many epochs without a better validation accuracy (nil: never).
    public var patience: Int?
    public var logDirectory: String?
    public var checkpointDirectory: String
    /// Continue from `checkpointDirectory/latest.safetensors`.
    public var resume = false
    public var trainSplit = "train"
    /// Validation split; nil picks `validation`, else `test`, if present.
    public var validationSplit: String?
    public var shuffleBuffer = 4096
    /// Compute threads for the layers (`Model.setThreadCount`).
    public var threads = 2
    /// Decode/augment threads of the loader.
    public var loaderWorkers = 1
    /// Input images written to the event file at the first step.
    public var imagesToLog = 4

    public init(dataDirectory: String, modelName: String, checkpointDirectory: String) {
        self.dataDirectory = dataDirectory
        self.modelName = modelName
        self.checkpointDirectory = checkpointDirectory
    }
}
