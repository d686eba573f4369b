/// How a TFRecord file is compressed. Compression applies to the whole framed stream, as
/// TensorFlow's `compression_type` does: `.gzip` is gzip (one member, or with
/// `RecordWriter(gzipMemberBytes:)` a sequence of members of whole records, read as one stream),
/// `.zlib` one RFC 1950 stream (TensorFlow reads no further than the first).
public enum Compression: String, Codable, Sendable, CaseIterable {
    case none
    case gzip
    case zlib
}
