import RecordIO
package import ShardKitSupport

/// A failure of a pipeline step, with the place it happened: the file, and where it applies the
/// record index and the byte offset of the record.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; the CLI maps it to an exit code.
    public enum Kind: Sendable, Equatable {
        /// An input file or directory is missing or unreadable.
        case noInput
        /// An input file is malformed (bad framing, checksum, payload or format).
        case badInput
        /// Output could not be written.
        case output
        /// The request itself is inconsistent (bad option values found late).
        case usage
        /// The output directory already holds a dataset.
        case outputExists
        /// Another run is writing into the same output.
        case busy
    }

    /// What kind of failure, which decides the exit code.
    public var kind: Kind
    /// The file or directory concerned, when there is one.
    public var path: String?
    /// The record's index in its file (from 0), when the failure concerns one record.
    public var recordIndex: Int?
    /// The record's offset in its file (in the decompressed stream for compressed shards).
    public var byteOffset: Int64?
    /// What went wrong, without the place (which `description` puts in front).
    public var message: String
    /// The lower-level error this one reports (a reader's `FormatError`, a `RecordIOError`, …),
    /// kept whole for callers that want its details.
    public var underlying: (any Error & Sendable)?

    /// An error of `kind`; give every part of the place that is known.
    public init(
        _ kind: Kind, path: String? = nil, recordIndex: Int? = nil, byteOffset: Int64? = nil, _ message: String,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.kind = kind
        self.path = path
        self.recordIndex = recordIndex
        self.byteOffset = byteOffset
        self.message = message
        self.underlying = underlying
    }

    /// `path: record 12 at byte 4096: message`, leaving out what is unknown.
    public var description: String {
        var place: [String] = []
        if let path { place.append(path) }
        var at = ""
        if let recordIndex { at = "record \(recordIndex)" }
        if let byteOffset { at += at.isEmpty ? "byte \(byteOffset)" : " at byte \(byteOffset)" }
        if !at.isEmpty { place.append(at) }
        return (place + [message]).joined(separator: ": ")
    }
}

extension DatasetError.Kind {
    /// The kind that reports a lower layer's error of `category`.
    init(_ category: ErrorCategory) {
        switch category {
        case .missingInput: self = .noInput
        case .malformedInput: self = .badInput
        case .outputFailed: self = .output
        case .usage: self = .usage
        case .outputExists: self = .outputExists
        case .busy: self = .busy
        }
    }
}

extension DatasetError: CategorizedError {
    package var category: ErrorCategory {
        switch kind {
        case .noInput: .missingInput
        case .badInput: .malformedInput
        case .output: .outputFailed
        case .usage: .usage
        case .outputExists: .outputExists
        case .busy: .busy
        }
    }
}
