/// How a TFRecord file is compressed. Compression applies to the whole framed stream, as
/// TensorFlow's `compression_type` does: `.gzip` is a gzip member, `.zlib` an RFC 1950 stream.
public enum Compression: String, Codable, Sendable, CaseIterable {
    case none
    case gzip
    case zlib
}
