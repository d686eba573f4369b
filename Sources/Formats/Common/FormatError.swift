package import ShardKitSupport
/// What went wrong while reading a raw dataset file, with enough context to find the bad bytes:
/// the file, the record index, the byte offset, and what was expected versus what was found.
///
/// `description` is one readable line, e.g.
/// `train-images-idx3-ubyte.gz: record 17 at byte 13344: file ends inside an image (expected 784 bytes, found 12)`.
/// Offsets in compressed files count bytes of the decompressed stream.
public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of failure; tests and callers switch on this, people read `description`.
    public enum Kind: String, Sendable, Equatable {
        /// The file cannot be opened, read or listed.
        case io
        /// A required file is not there (e.g. an SVHN PNG named by digitStruct).
        case missingFile
        /// The file ends inside a header or a record.
        case truncated
        /// The file does not start with the magic number of the expected kind of file.
        case badMagic
        /// An idx header announces an element type other than unsigned byte.
        case badType
        /// A header's dimensions are missing, zero or implausible.
        case badDimensions
        /// A file's size is not a whole number of fixed-size records.
        case badSize
        /// A record's fields contradict each other or are out of range (label, sample size, zero width).
        case badRecord
        /// Two files that must agree (images and labels, bbox fields) disagree on a count.
        case countMismatch
        /// Bytes after the last record the header announced.
        case trailingData
        /// A gzip stream is damaged (bad deflate data or checksum).
        case compression
        /// A required entry (an HDF5 group or dataset) is not in the file.
        case missingEntry
        /// Bytes that do not decode: a tag code that is no GB2312 character, a PNG that libpng rejects.
        case decode
        /// A lookup into a dictionary or index that does not know the key.
        case unknownKey
    }

    /// The class of failure.
    public var kind: Kind
    /// The file the error is about (full path).
    public var path: String
    /// Zero-based record index, when the error belongs to one record.
    public var record: Int?
    /// Byte offset of the record or field in the file (in the decompressed stream for .gz files).
    public var offset: Int?
    /// What is wrong, in a few words.
    public var message: String
    /// What the format requires, when there is a single value to compare.
    public var expected: String?
    /// What the file holds instead.
    public var found: String?

    /// An error about `path`; public so that a reader written outside this module (a
    /// `FormatReader` of another format) can throw it too.
    public init(
        _ kind: Kind, path: String, record: Int? = nil, offset: Int? = nil, _ message: String,
        expected: String? = nil, found: String? = nil
    ) {
        self.kind = kind
        self.path = path
        self.record = record
        self.offset = offset
        self.message = message
        self.expected = expected
        self.found = found
    }

    /// The last path component: errors name the file the way a person would.
    public var fileName: String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// One line, `file: record R at byte O: message (expected E, found F)`, leaving out the parts
    /// that are unknown.
    public var description: String {
        var line = fileName + ":"
        switch (record, offset) {
        case (let r?, let o?): line += " record \(r) at byte \(o):"
        case (let r?, nil): line += " record \(r):"
        case (nil, let o?): line += " at byte \(o):"
        case (nil, nil): break
        }
        line += " " + message
        switch (expected, found) {
        case (let e?, let f?): line += " (expected \(e), found \(f))"
        case (let e?, nil): line += " (expected \(e))"
        case (nil, let f?): line += " (found \(f))"
        case (nil, nil): break
        }
        return line
    }

    /// The same error attributed to a record, unless it already names one.
    func inRecord(_ index: Int) -> FormatError {
        var copy = self
        if copy.record == nil { copy.record = index }
        return copy
    }
}

/// Runs a closure that can only throw `FormatError` through an API that erases the error type
/// (e.g. `withUnsafeMutableBytes`), restoring the type.
func typed<T>(_ body: () throws -> T) throws(FormatError) -> T {
    do {
        return try body()
    } catch let error as FormatError {
        throw error
    } catch {
        throw FormatError(.io, path: "", "\(error)")
    }
}

extension FormatError: CategorizedError {
    /// A file that cannot be opened or is not there is missing input; anything wrong inside a
    /// file is malformed input.
    package var category: ErrorCategory { kind == .missingFile || kind == .io ? .missingInput : .malformedInput }
}
