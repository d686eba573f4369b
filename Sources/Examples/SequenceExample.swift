/// `tf.train.FeatureList`: a sequence of ``Feature`` values, one per time step.
public struct FeatureList: Sendable, Equatable {
    /// The steps in order; TensorFlow does not require them to share a kind or a length.
    public var feature: [Feature]

    /// A list of steps (empty by default).
    public init(_ feature: [Feature] = []) {
        self.feature = feature
    }

    /// A list of steps, labelled as the protobuf field (`feature`) is named.
    public init(feature: [Feature]) {
        self.feature = feature
    }
}

/// `tf.train.FeatureLists`: a map from name to ``FeatureList``.
public struct FeatureLists: Sendable, Equatable {
    /// The sequences by name; serialization writes them in byte-wise UTF-8 order of the names.
    public var featureList: [String: FeatureList]

    /// Sequences from a dictionary (empty by default).
    public init(_ featureList: [String: FeatureList] = [:]) {
        self.featureList = featureList
    }

    /// Sequences from a dictionary, labelled as the protobuf field (`feature_list`) is named.
    public init(featureList: [String: FeatureList]) {
        self.featureList = featureList
    }

    /// The sequence stored under `key`, if any; setting `nil` removes it.
    public subscript(key: String) -> FeatureList? {
        get { featureList[key] }
        set { featureList[key] = newValue }
    }
}

/// `tf.train.SequenceExample`: per-record context features plus named sequences of features.
public struct SequenceExample: Sendable, Equatable {
    /// Features that hold for the whole sequence (a label, a length, an id).
    public var context: Features
    /// The per-step features, by name.
    public var featureLists: FeatureLists

    /// A SequenceExample from its two parts (both empty by default).
    public init(context: Features = Features(), featureLists: FeatureLists = FeatureLists()) {
        self.context = context
        self.featureLists = featureLists
    }
}
