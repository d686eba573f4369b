/// `tf.train.FeatureList`: a sequence of ``Feature`` values, one per time step.
public struct FeatureList: Sendable, Equatable {
    public var feature: [Feature]

    public init(_ feature: [Feature] = []) {
        self.feature = feature
    }

    public init(feature: [Feature]) {
        self.feature = feature
    }
}

/// `tf.train.FeatureLists`: a map from name to ``FeatureList``.
public struct FeatureLists: Sendable, Equatable {
    public var featureList: [String: FeatureList]

    public init(_ featureList: [String: FeatureList] = [:]) {
        self.featureList = featureList
    }

    public init(featureList: [String: FeatureList]) {
        self.featureList = featureList
    }

    public subscript(key: String) -> FeatureList? {
        get { featureList[key] }
        set { featureList[key] = newValue }
    }
}

/// `tf.train.SequenceExample`: per-record context features plus named sequences of features.
public struct SequenceExample: Sendable, Equatable {
    public var context: Features
    public var featureLists: FeatureLists

    public init(context: Features = Features(), featureLists: FeatureLists = FeatureLists()) {
        self.context = context
        self.featureLists = featureLists
    }
}
