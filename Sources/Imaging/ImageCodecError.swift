package import ShardKitSupport
/// A PNG or JPEG stream that could not be decoded or an image that could not be encoded.
///
/// Corrupt, truncated or unsupported input always surfaces as this error, never as a crash.
/// The codec fills in `format` and `message`; the caller may set `source` (a file name or a
/// record description such as `"train-00003-of-00010.tfrecord record 17"`) before rethrowing.
public struct ImageCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The container format involved: `"PNG"`, `"JPEG"` or `"image"` when it was not recognised.
    public var format: String
    /// What went wrong, in the codec's words where it gave any.
    public var message: String
    /// Where the bytes came from, if the caller said so.
    public var source: String?

    /// An error as a codec reports it; `source` is usually added later with `from(_:)`.
    public init(format: String, message: String, source: String? = nil) {
        self.format = format
        self.message = message
        self.source = source
    }

    /// This error with `source` set, for callers that know where the bytes came from.
    public func from(_ source: String) -> ImageCodecError {
        var copy = self
        copy.source = source
        return copy
    }

    /// One line: the source when known, the format, then the message.
    public var description: String {
        if let source { return "\(source): \(format): \(message)" }
        return "\(format): \(message)"
    }
}

/// Largest image the decoders accept: 2²⁶ pixels (8192 × 8192, 192 MiB as RGB), so that a
/// corrupt or forged header cannot make us allocate gigabytes before the data runs out.
let maximumDecodedPixels = 1 << 26

extension ImageCodecError: CategorizedError {
    package var category: ErrorCategory { .malformedInput }
}
