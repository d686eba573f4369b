package import ShardKitSupport

/// A dataset that cannot be read, or a record that does not fit the model: names the file and,
/// for a record, its index in that file and its byte offset, and keeps the lower layer's error
/// (a `RecordIOError`, an image codec's error, …) whole in `underlying`.
public struct DataError: Error, CustomStringConvertible, Sendable {
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
    /// The record's byte offset in `path` (in the decompressed stream for compressed shards),
    /// when known.
    public var byteOffset: Int64?
    /// What is wrong, in words, without the place.
    public var message: String
    /// The error this one reports, kept for callers that want its details.
    public var underlying: (any Error & Sendable)?

    init(
        _ kind: Kind = .malformed, path: String, recordIndex: Int? = nil, byteOffset: Int64? = nil,
        message: String, underlying: (any Error & Sendable)? = nil
    ) {
        self.kind = kind
        self.path = path
        self.recordIndex = recordIndex
        self.byteOffset = byteOffset
        self.message = message
        self.underlying = underlying
    }

    /// The same problem placed in `path` at record `recordIndex` (what a record's decoder does
    /// not know and the loader does).
    func placed(path: String, recordIndex: Int) -> DataError {
        var placed = self
        placed.path = path
        placed.recordIndex = recordIndex
        return placed
    }

    /// One line: the path, the record and byte offset when known, then the message.
    public var description: String {
        var at = ""
        if let recordIndex { at = "record \(recordIndex)" }
        if let byteOffset { at += at.isEmpty ? "byte \(byteOffset)" : " at byte \(byteOffset)" }
        return ([path] + (at.isEmpty ? [] : [at]) + [message]).joined(separator: ": ")
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
