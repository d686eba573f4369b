/// How a TFRecord file is compressed. Compression applies to the whole framed stream, as
/// TensorFlow's `compression_type` does: `.gzip` is gzip (one member, or with
/// `RecordWriter(gzipMemberBytes:)` a sequence of members of whole records, read as one stream),
/// `.zlib` one RFC 1950 stream (TensorFlow reads no further than the first).
public enum Compression: String, Codable, Sendable, CaseIterable {
    /// No compression: the file is the framed records, byte for byte.
    case none
    /// RFC 1952 gzip; TensorFlow's `compression_type="GZIP"`.
    case gzip
    /// One RFC 1950 zlib stream; TensorFlow's `compression_type="ZLIB"`.
    case zlib
}
