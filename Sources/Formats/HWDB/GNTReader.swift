public import Foundation
public import Imaging
internal import ShardKitSupport

/// One handwritten character from a CASIA HWDB `.gnt` file.
public struct GNTSample: Sendable, Equatable {
    /// Zero-based record index in the file.
    public var index: Int
    /// The character the tag code stands for (GB2312, decoded), e.g. "中" or "。".
    public var character: String
    /// The two tag bytes as stored, first byte in the high 8 bits (0xD6D0 for "中").
    public var tagCode: UInt16
    /// `height × width × 1` grayscale, white (255) background, as stored.
    public var image: Image

    init(index: Int, character: String, tagCode: UInt16, image: Image) {
        self.index = index
        self.character = character
        self.tagCode = tagCode
        self.image = image
    }
}

/// Streams a CASIA HWDB1.x `.gnt` file (one writer's isolated characters), record by record.
///
/// Record layout, little-endian: UInt32 sample size, 2 tag bytes (GB2312, high byte first),
/// UInt16 width, UInt16 height, then width × height grayscale bytes. A clean end is the end of
/// the file exactly at a record boundary; anything else is an error naming the record, so
/// nothing after a damaged record is silently dropped.
public final class GNTReader: FormatReader {
    /// A reader yields `GNTSample`s.
    public typealias Sample = GNTSample

    private let input: ByteInput
    private let decoder: GB18030Decoder
    private var index = 0
    private var offset = 0
    private var finished = false

    /// Reads the `.gnt` file at `file`.
    public convenience init(file: URL) throws(FormatError) {
        try self.init(input: InputFile(disk: file))
    }

    /// Reads `source`: a `.gnt` file on disk or inside an archive (CASIA's `*_gnt.zip`).
    public init(input source: InputFile) throws(FormatError) {
        input = try source.open()
        decoder = try GB18030Decoder()
    }

    /// The next character, or nil when the file ends exactly after a record. Throws `.truncated`
    /// inside a header or bitmap, `.badRecord` for a zero or oversized image or a sample size
    /// that contradicts it, `.decode` for a tag code that is no GB2312 character.
    public func next() throws(FormatError) -> GNTSample? {
        guard let (code, width, height) = try nextHeader() else { return nil }
        let count = width * height
        let pixels = try readPixels(count)
        guard let character = decoder.decode(code) else {
            finished = true
            throw FormatError(
                .decode, path: input.path, record: index, offset: offset + 4,
                "tag code is not a GB2312 character", expected: "a GB2312 code", found: hex(code))
        }
        defer { advance(count) }
        return GNTSample(
            index: index, character: character, tagCode: code,
            image: Image(height: height, width: width, channels: 1, pixels: pixels))
    }

    /// Hops from header to header past `count` samples: 10 bytes read per sample, the bitmap
    /// skipped (a seek in a plain file). Headers are still checked.
    public func skip(_ count: Int) throws(FormatError) -> Int {
        var skipped = 0
        while skipped < count, let (_, width, height) = try nextHeader() {
            try skipPixels(width * height)
            advance(width * height)
            skipped += 1
        }
        return skipped
    }

    /// Moves past a bitmap of `n` bytes without copying it (a seek in a plain file).
    private func skipPixels(_ n: Int) throws(FormatError) {
        let moved: Int
        do { moved = try input.skip(count: n) } catch { throw fail(error.inRecord(index)) }
        guard moved == n else {
            throw fail(
                FormatError(
                    .truncated, path: input.path, record: index, offset: offset,
                    "\(input.endPhrase) inside an image", expected: "\(n) bytes", found: "\(moved)"))
        }
    }

    /// Reads only the tag codes and skips the pixels (for building a character dictionary): no
    /// bitmap is copied out; in a plain file what lies past the read buffer is seeked over.
    func nextCharacter() throws(FormatError) -> String? {
        guard let (code, width, height) = try nextHeader() else { return nil }
        try skipPixels(width * height)
        guard let character = decoder.decode(code) else {
            finished = true
            throw FormatError(
                .decode, path: input.path, record: index, offset: offset + 4,
                "tag code is not a GB2312 character", expected: "a GB2312 code", found: hex(code))
        }
        advance(width * height)
        return character
    }

    private func advance(_ pixelCount: Int) {
        index += 1
        offset += 10 + pixelCount
    }

    private func fail(_ error: FormatError) -> FormatError {
        finished = true
        return error
    }

    private func nextHeader() throws(FormatError) -> (UInt16, Int, Int)? {
        guard !finished else { return nil }
        let header: [UInt8]
        do {
            header = try input.read(count: 10)
        } catch {
            throw fail(error.inRecord(index))
        }
        if header.isEmpty {
            finished = true
            do {
                _ = try input.drainRemaining()
            } catch {
                throw error.inRecord(index)
            }
            return nil
        }
        guard header.count == 10 else {
            throw fail(
                FormatError(
                    .truncated, path: input.path, record: index, offset: offset,
                    "\(input.endPhrase) inside a record header", expected: "10 bytes", found: "\(header.count)"))
        }
        let size = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        let code = UInt16(header[4]) << 8 | UInt16(header[5])
        let width = Int(header[6]) | Int(header[7]) << 8
        let height = Int(header[8]) | Int(header[9]) << 8
        guard width > 0 && height > 0 else {
            throw fail(
                FormatError(
                    .badRecord, path: input.path, record: index, offset: offset,
                    "image has zero \(width == 0 ? "width" : "height")", expected: "width and height ≥ 1",
                    found: "\(width)×\(height)"))
        }
        guard size == 10 + width * height else {
            throw fail(
                FormatError(
                    .badRecord, path: input.path, record: index, offset: offset,
                    "sample size disagrees with the \(width)×\(height) image",
                    expected: "10 + \(width)×\(height) = \(10 + width * height)", found: "\(size)"))
        }
        // The header alone must not make us allocate: a declared image above the limit, or (for a
        // plain file) larger than what is left of the file, is an error before any buffer exists.
        guard width * height <= Self.maximumImagePixels else {
            throw fail(
                FormatError(
                    .badRecord, path: input.path, record: index, offset: offset,
                    "image of \(width)×\(height) pixels is larger than the limit",
                    expected: "at most \(Self.maximumImagePixels) pixels", found: "\(width * height)"))
        }
        if let size = input.knownSize, width * height > size - input.position {
            throw fail(
                FormatError(
                    .truncated, path: input.path, record: index, offset: offset, "file ends inside an image",
                    expected: "\(width * height) bytes", found: "\(size - input.position)"))
        }
        return (code, width, height)
    }

    /// The largest character image a record may declare: 2²⁴ pixels (4096 × 4096); HWDB's are
    /// a few hundred pixels on a side, while the header's two UInt16s allow 4 GiB.
    static let maximumImagePixels = 1 << 24

    private func readPixels(_ count: Int) throws(FormatError) -> [UInt8] {
        let pixels: [UInt8]
        do {
            pixels = try input.read(count: count)
        } catch {
            throw fail(error.inRecord(index))
        }
        guard pixels.count == count else {
            throw fail(
                FormatError(
                    .truncated, path: input.path, record: index, offset: offset,
                    "\(input.endPhrase) inside an image", expected: "\(count) bytes", found: "\(pixels.count)"))
        }
        return pixels
    }

    private func hex(_ code: UInt16) -> String { Hex.literal(code, digitCount: 4, uppercase: true) }
}
