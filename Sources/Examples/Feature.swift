/// The kind of values a ``Feature`` holds: one of the three lists of `tf.train.Feature`'s `oneof kind`.
public enum FeatureKind: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// `bytes_list`: byte strings (encoded images, UTF-8 text).
    case bytes
    /// `float_list`: 32-bit IEEE floats.
    case float
    /// `int64_list`: signed 64-bit integers (labels, shapes).
    case int64
}

/// One `tf.train.Feature`: a list of byte strings, of 32-bit floats, or of 64-bit integers.
///
/// A `Feature` on the wire with no kind set decodes as `.bytes([])` (TensorFlow treats it as an empty
/// feature); see formats/example.md.
public enum Feature: Sendable, Equatable {
    /// A `bytes_list`: each element is one byte string.
    case bytes([[UInt8]])
    /// A `float_list`, written packed.
    case float([Float])
    /// An `int64_list`, written packed.
    case int64([Int64])

    /// The kind as a string: `"bytes"`, `"float"` or `"int64"`.
    public var kind: String { featureKind.rawValue }

    /// The kind as an enum value.
    public var featureKind: FeatureKind {
        switch self {
        case .bytes: .bytes
        case .float: .float
        case .int64: .int64
        }
    }

    /// The number of values in the list.
    public var count: Int {
        switch self {
        case .bytes(let values): values.count
        case .float(let values): values.count
        case .int64(let values): values.count
        }
    }

    /// Equality compares floats by bit pattern, so NaN equals NaN and 0.0 differs from -0.0:
    /// two features are equal when they encode to the same bytes.
    public static func == (lhs: Feature, rhs: Feature) -> Bool {
        switch (lhs, rhs) {
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.int64(let a), .int64(let b)): return a == b
        case (.float(let a), .float(let b)):
            guard a.count == b.count else { return false }
            for i in a.indices where a[i].bitPattern != b[i].bitPattern { return false }
            return true
        default: return false
        }
    }
}

extension Feature {
    /// A bytes feature holding the UTF-8 of one string.
    public static func string(_ value: String) -> Feature { .bytes([Array(value.utf8)]) }
    /// An int64 feature holding one value.
    public static func int64(_ value: Int64) -> Feature { .int64([value]) }
    /// A float feature holding one value.
    public static func float(_ value: Float) -> Feature { .float([value]) }
}
