/// The bytes of one top-level data element of a MAT v5 file, read front to back: straight from
/// the file for a `miMATRIX` element, inflated on the fly for a `miCOMPRESSED` one. Either way
/// the stream starts with the array's `miMATRIX` tag, so the same parser reads both.
///
/// Every error names the file and a byte offset in it: the exact offset for an uncompressed
/// element; for a compressed one the offset of the element, with the position in the inflated
/// bytes in the message (a byte inside a deflate stream has no file offset of its own).
final class MATElementStream {
    let path: String
    let order: MATByteOrder
    /// Which element this is, for error offsets.
    let place: MATPlace
    var isCompressed: Bool { place.isCompressed }
    /// What errors are about: "X", "y", or "variable" until the name has been read.
    var subject = "variable"
    /// Stream position just past the array element (8 + its byte count), once its tag is read;
    /// reads beyond it are errors, whatever the (inflated) stream holds.
    var end = Int.max
    private let input: ByteInput

    /// The element at `elementOffset` whose tag announced `elementSize` bytes (checked against
    /// the file's size by the caller).
    init(
        file: FileSource, path: String, order: MATByteOrder, elementOffset: Int, elementSize: Int,
        isCompressed: Bool, bufferSize: Int
    ) throws(FormatError) {
        self.path = path
        self.order = order
        place = MATPlace(path: path, elementOffset: elementOffset, isCompressed: isCompressed)
        if isCompressed {
            let window = FileWindow(file: file, start: elementOffset + 8, count: elementSize)
            let inflated = try InflateSource(upstream: window, path: path, wrapper: .zlib)
            input = ByteInput(path: path, source: inflated, bufferSize: bufferSize)
        } else {
            let window = FileWindow(file: file, start: elementOffset, count: 8 + elementSize)
            input = ByteInput(path: path, source: window, bufferSize: bufferSize)
        }
    }

    /// Bytes read so far (inflated bytes for a compressed element).
    var position: Int { input.position }

    /// An error at stream `position`, about `subject`.
    func error(
        _ kind: FormatError.Kind, at position: Int, record: Int? = nil, _ message: String, expected: String? = nil,
        found: String? = nil
    ) -> FormatError {
        place.error(kind, at: position, about: subject, record: record, message, expected: expected, found: found)
    }

    /// Fills `buffer` completely or throws: `.badSize` past the array's end, `.truncated` when the
    /// data stop early, `.compression` for damaged deflate data.
    func read(into buffer: UnsafeMutableRawBufferPointer, what: String, record: Int? = nil) throws(FormatError) {
        try advance(by: buffer.count, what: what, record: record) { () throws(FormatError) in
            try input.read(into: buffer)
        }
    }

    /// Moves `count` bytes ahead without copying them: no read at all in a plain element,
    /// inflating and dropping in a compressed one. Errors as `read(into:what:record:)`.
    func skip(_ count: Int, what: String, record: Int? = nil) throws(FormatError) {
        guard count > 0 else { return }
        try advance(by: count, what: what, record: record) { () throws(FormatError) in try input.skip(count: count) }
    }

    /// Runs `move`, which takes `count` bytes from the input and returns how many it got, within
    /// the array's end, turning the input's errors and a short count into errors about `what`.
    private func advance(
        by count: Int, what: String, record: Int?, _ move: () throws(FormatError) -> Int
    ) throws(FormatError) {
        let start = position
        guard count <= end - start else {
            throw error(
                .badSize, at: start, record: record, "\(what) runs past the end of the array element",
                expected: "at most \(end - start) bytes", found: "\(count)")
        }
        let n: Int
        do {
            n = try move()
        } catch {
            // A damaged deflate stream says how far it inflated; name that byte.
            throw self.error(error.kind, at: error.offset ?? start, record: record, error.message)
        }
        guard n == count else {
            let phrase =
                input.endedWithoutEndMarker
                ? "zlib stream ends early (no end-of-stream marker)"
                : isCompressed ? "inflated data end" : "file ends"
            throw error(
                .truncated, at: start, record: record, "\(phrase) inside \(what)", expected: "\(count) bytes",
                found: "\(n)")
        }
    }

    /// Reads `count` bytes into a new array (small fields only: the caller bounds `count`).
    func read(count: Int, what: String) throws(FormatError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try typed { try bytes.withUnsafeMutableBytes { try read(into: $0, what: what) } }
        return bytes
    }

    /// Reads a data element's tag, in either format: normal (type and byte count, 4 bytes each)
    /// or small (byte count and type as 16-bit halves of the first word, 1–4 data bytes in the
    /// second word).
    func readTag(what: String) throws(FormatError) -> MATTag {
        let start = position
        let bytes = try read(count: 8, what: "the tag of \(what)")
        let first = order.uint32(bytes, at: 0)
        if first >> 16 != 0 {
            let size = Int(first >> 16)
            guard size <= 4 else {
                throw error(
                    .badRecord, at: start, "small-format tag of \(what) announces more than 4 bytes",
                    expected: "1…4", found: "\(size)")
            }
            return MATTag(type: first & 0xFFFF, size: size, smallData: Array(bytes[4..<(4 + size)]), position: start)
        }
        return MATTag(type: first, size: Int(order.uint32(bytes, at: 4)), smallData: nil, position: start)
    }

    /// The data of a small element (`limit` bytes at most, checked before anything is
    /// allocated), padding skipped.
    func readData(of tag: MATTag, what: String, limit: Int) throws(FormatError) -> [UInt8] {
        if let small = tag.smallData { return small }
        guard tag.size <= limit else {
            throw error(
                .badSize, at: tag.position, "\(what) is implausibly long", expected: "at most \(limit) bytes",
                found: "\(tag.size)")
        }
        let data = try read(count: tag.size, what: what)
        try skip(tag.padding, what: "the padding after \(what)")
        return data
    }

    /// Reads the rest of the stream. For a compressed element this makes zlib reach the end of
    /// the stream and check its Adler-32 checksum; a stream without its end is `.truncated`.
    func finish() throws(FormatError) {
        let start = position
        do {
            _ = try input.drainRemaining()
        } catch {
            throw self.error(error.kind, at: error.offset ?? start, error.message)
        }
    }
}

/// A top-level element of a MAT-file, as errors locate things in it.
struct MATPlace {
    let path: String
    /// File offset of the element's tag.
    let elementOffset: Int
    let isCompressed: Bool

    /// An error about `subject` at `position` in the element's stream: the file offset of that
    /// byte for a plain element; for a compressed one the element's offset, with the position in
    /// the inflated bytes named in the message.
    func error(
        _ kind: FormatError.Kind, at position: Int, about subject: String, record: Int? = nil, _ message: String,
        expected: String? = nil, found: String? = nil
    ) -> FormatError {
        let place = isCompressed ? "\(subject), inflated byte \(position) of the compressed element" : subject
        return FormatError(
            kind, path: path, record: record, offset: isCompressed ? elementOffset : elementOffset + position,
            "\(place): \(message)", expected: expected, found: found)
    }
}
