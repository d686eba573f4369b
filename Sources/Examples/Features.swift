/// `tf.train.Features`: a map from feature name to ``Feature``.
public struct Features: Sendable, Equatable {
    /// The features by name; serialization writes them in byte-wise UTF-8 order of the names.
    public var feature: [String: Feature]

    /// Features from a dictionary (empty by default).
    public init(_ feature: [String: Feature] = [:]) {
        self.feature = feature
    }

    /// Features from a dictionary, labelled as the protobuf field (`feature`) is named.
    public init(feature: [String: Feature]) {
        self.feature = feature
    }

    /// The feature stored under `key`, if any.
    public subscript(key: String) -> Feature? {
        get { feature[key] }
        set { feature[key] = newValue }
    }
}

/// `tf.train.Example`: one record of named features.
public struct Example: Sendable, Equatable {
    /// The record's features (the message's one field).
    public var features: Features

    /// An Example holding `features` (none by default).
    public init(features: Features = Features()) {
        self.features = features
    }

    /// An Example from a dictionary of features.
    public init(_ dict: [String: Feature]) {
        self.features = Features(dict)
    }

    /// The feature stored under `key`, if any.
    public subscript(key: String) -> Feature? {
        get { features.feature[key] }
        set { features.feature[key] = newValue }
    }

    /// The int64 values under `key`, or nil when the key is absent or holds another kind.
    public func int64s(_ key: String) -> [Int64]? {
        if case .int64(let values) = features.feature[key] { return values }
        return nil
    }

    /// The byte strings under `key`, or nil when the key is absent or holds another kind.
    public func bytes(_ key: String) -> [[UInt8]]? {
        if case .bytes(let values) = features.feature[key] { return values }
        return nil
    }

    /// The float values under `key`, or nil when the key is absent or holds another kind.
    public func floats(_ key: String) -> [Float]? {
        if case .float(let values) = features.feature[key] { return values }
        return nil
    }
}
