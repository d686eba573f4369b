package import ShardKitSupport
/// A payload that is not a well-formed serialized Example, SequenceExample or Feature.
///
/// `offset` is the byte offset within the payload (the record's bytes) where the problem starts;
/// callers that read records add the file, record index and record offset.
public struct ExampleDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong.
    public enum Reason: String, Sendable, Equatable {
        /// The payload ends inside a varint.
        case truncatedVarint
        /// A varint has more than 10 bytes (or a 10th byte above 1).
        case varintTooLong
        /// A length prefix points past the end of the enclosing message.
        case lengthBeyondBuffer
        /// A fixed32/fixed64 value runs past the end of the enclosing message.
        case truncatedFixed
        /// A known field arrived with a wire type it cannot have.
        case wrongWireType
        /// Wire type 3 or 4 (deprecated groups): rejected, not skipped.
        case groupWireType
        /// Wire type 6 or 7, which protobuf does not define.
        case invalidWireType
        /// Field number 0, which protobuf does not allow.
        case invalidFieldNumber
        /// A map key (proto3 `string`) is not valid UTF-8.
        case invalidUTF8Key
        /// A packed float payload whose length is not a multiple of 4.
        case packedFloatLength
    }

    /// Which rule of the wire format the payload broke.
    public var reason: Reason
    /// Byte offset within the payload.
    public var offset: Int
    /// What the decoder expected there.
    public var expected: String
    /// What it found.
    public var found: String

    /// An error at `offset` of the payload; `expected` and `found` are short phrases for the message.
    public init(_ reason: Reason, offset: Int, expected: String, found: String) {
        self.reason = reason
        self.offset = offset
        self.expected = expected
        self.found = found
    }

    /// One line: the reason, the payload offset, and expected versus found.
    public var description: String {
        "\(reason.rawValue) at payload offset \(offset): expected \(expected), found \(found)"
    }
}

extension ExampleDecodingError: CategorizedError {
    package var category: ErrorCategory { .malformedInput }
}
