package import ShardKitSupport
/// A synthesis request that cannot be met: a bad lengths spec, an empty or mixed digit source,
/// or a maximum length outside what the record schema holds.
public struct SynthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the request, naming the value at fault (a lengths piece, a digit index).
    public var message: String

    /// An error with its message; every `SynthError` is a usage error (exit 64 in the CLI).
    public init(_ message: String) {
        self.message = message
    }

    /// The message as is.
    public var description: String { message }
}

extension SynthError: CategorizedError {
    /// A request the synthesizer cannot meet (lengths, digit source): the caller asked for it.
    package var category: ErrorCategory { .usage }
}
