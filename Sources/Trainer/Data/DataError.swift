package import ShardKitSupport

/// A dataset that cannot be read, or a record that does not fit the model: names the file and,
/// for a record, its index in that file.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem this is.
    public enum Kind: Sendable, Equatable {
        /// A file or directory that is not there or cannot be read.
        case missing
        /// Data that is there but wrong: a bad record, a manifest that does not fit.
        case malformed
        /// A request that cannot be met with this data or these settings (an unknown model, a
        /// split smaller than a batch, a learning rate that diverges).
        case unusable
    }

    /// What kind of problem this is (decides the exit code of `shardkit`).
    public var kind: Kind
    /// The shard (or manifest, or image file).
    public var path: String
    /// The record's 0-based index in `path`, when the problem is one record.
    public var recordIndex: Int?
    /// What is wrong, in words.
    public var message: String

    init(_ kind: Kind = .malformed, path: String, recordIndex: Int? = nil, message: String) {
        self.kind = kind
        self.path = path
        self.recordIndex = recordIndex
        self.message = message
    }

    /// One line: the path, the record when known, then the message.
    public var description: String {
        if let recordIndex { return "\(path): record \(recordIndex): \(message)" }
        return "\(path): \(message)"
    }
}

extension DataError: CategorizedError {
    package var category: ErrorCategory {
        switch kind {
        case .missing: .missingInput
        case .malformed: .malformedInput
        case .unusable: .usage
        }
    }
}
