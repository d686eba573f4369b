package import ShardKitSupport
/// A synthesis request that cannot be met: a bad lengths spec, an empty or mixed digit source,
/// or a maximum length outside what the record schema holds.
public struct SynthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension SynthError: CategorizedError {
    /// A request the synthesizer cannot meet (lengths, digit source): the caller asked for it.
    package var category: ErrorCategory { .usage }
}
