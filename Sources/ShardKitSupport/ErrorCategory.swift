/// What kind of failure an error is, as far as a caller deciding what to do next cares: every
/// module's error type says which category it falls in, and the command-line tool turns the
/// category into its documented exit code in one place.
package enum ErrorCategory: Sendable, Equatable {
    /// The request is inconsistent (option values found wrong only after parsing).
    case usage
    /// An input file or directory is missing or unreadable.
    case missingInput
    /// An input file is malformed: bad framing, checksum, header, record or payload.
    case malformedInput
    /// Output could not be written (a full disk, no permission, a failed rename).
    case outputFailed
    /// The output directory already holds a dataset.
    case outputExists
    /// Something else holds the resource (another writer has the output's lock).
    case busy
}

/// An error that knows its `ErrorCategory`.
package protocol CategorizedError: Error {
    var category: ErrorCategory { get }
}
