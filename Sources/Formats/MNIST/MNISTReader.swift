public import Foundation
public import Imaging

/// One labelled image read from a dataset file: its position, the pixels and an integer label
/// (MNIST-style idx samples, `rows × columns × 1` gray; SVHN cropped digits, 32×32×3).
public struct MNISTSample: Sendable, Equatable {
    /// Zero-based position in the file.
    public var index: Int
    /// 28×28×1 for MNIST, Fashion-MNIST and EMNIST; 32×32×3 for SVHN's cropped digits.
    public var image: Image
    /// The label as stored (0–9 for MNIST; EMNIST splits use larger ranges; SVHN's 10 read as 0).
    public var label: Int

    init(index: Int, image: Image, label: Int) {
        self.index = index
        self.image = image
        self.label = label
    }
}

/// Streams an idx image file and its idx label file side by side (MNIST, Fashion-MNIST, EMNIST).
///
/// Each file may be plain or gzip-compressed; the choice is made from the first two bytes
/// (1F 8B), not from the name. `init` checks both headers (magic, element type, dimension count)
/// and that they agree on the count; for plain files it also checks the payload length against
/// the dimensions, so a short download fails before the first sample. For gzip files a short
/// or long payload is found when the stream ends too early or too late.
public final class MNISTReader: FormatReader {
    /// A reader yields `MNISTSample`s.
    public typealias Sample = MNISTSample

    /// Samples announced by the headers.
    public let count: Int
    /// Image height in pixels, from the image file's header (28 for MNIST).
    public let rows: Int
    /// Image width in pixels, from the image file's header.
    public let columns: Int
    private let images: ByteInput
    private let labels: ByteInput
    private let imageHeaderSize: Int
    private let labelHeaderSize: Int
    private var index = 0
    private var finished = false

    /// Reads an image file and its label file on disk, each plain or gzip.
    public convenience init(images imagesURL: URL, labels labelsURL: URL) throws(FormatError) {
        try self.init(images: InputFile(disk: imagesURL), labels: InputFile(disk: labelsURL))
    }

    /// Reads an image file and a label file given as `InputFile`s (hashed as they are read when
    /// they carry `InputDigests`), each plain or gzip: files on disk, or entries of one archive
    /// (EMNIST's `gzip.zip`), read side by side through a reader each.
    public init(images imageFile: InputFile, labels labelFile: InputFile) throws(FormatError) {
        images = try imageFile.openDecompressed()
        labels = try labelFile.openDecompressed()
        let imageHeader = try IDXHeader.read(from: images, dimensionCount: 3)
        let labelHeader = try IDXHeader.read(from: labels, dimensionCount: 1)
        count = imageHeader.dimensions[0]
        rows = imageHeader.dimensions[1]
        columns = imageHeader.dimensions[2]
        imageHeaderSize = imageHeader.byteCount
        labelHeaderSize = labelHeader.byteCount
        guard labelHeader.dimensions[0] == count else {
            throw FormatError(
                .countMismatch, path: labels.path, offset: 4,
                "label count disagrees with the image count of \(images.path.split(separator: "/").last ?? "")",
                expected: "\(count)", found: "\(labelHeader.dimensions[0])")
        }
        if let size = images.knownSize {
            try checkPayload(images, available: size - imageHeaderSize, recordSize: rows * columns, what: "an image")
        }
        if let size = labels.knownSize {
            try checkPayload(labels, available: size - labelHeaderSize, recordSize: 1, what: "a label")
        }
    }

    /// For a plain file: the error the record loop would hit, raised up front.
    private func checkPayload(_ input: ByteInput, available: Int, recordSize: Int, what: String) throws(FormatError) {
        let headerSize = recordSize == 1 ? labelHeaderSize : imageHeaderSize
        let wanted = count * recordSize
        if available < wanted {
            let record = available / recordSize
            throw FormatError(
                .truncated, path: input.path, record: record, offset: headerSize + record * recordSize,
                "file ends inside \(what)", expected: "\(recordSize) bytes", found: "\(available % recordSize)")
        }
        if available > wanted {
            throw FormatError(
                .trailingData, path: input.path, offset: headerSize + wanted,
                "data after the last of \(count) records", expected: "end of file",
                found: "\(available - wanted) more bytes")
        }
    }

    /// Seeks past `count` records in both files (plain files), or inflates and drops them (gzip).
    public func skip(_ count: Int) throws(FormatError) -> Int {
        guard !finished else { return 0 }
        let n = Swift.min(count, self.count - index)
        let pixels = rows * columns
        let skippedImages = try images.skip(count: n * pixels)
        let skippedLabels = try labels.skip(count: n)
        guard skippedImages == n * pixels, skippedLabels == n else {
            finished = true
            throw FormatError(
                .truncated, path: images.path, record: index + Swift.min(skippedLabels, skippedImages / Swift.max(1, pixels)),
                offset: imageHeaderSize + index * pixels + skippedImages, "\(images.endPhrase) inside an image",
                expected: "\(n) records", found: "fewer")
        }
        index += n
        return n
    }

    /// The next image and its label, or nil after the announced count (having checked that
    /// nothing follows it). Throws `.truncated` when a file ends early, `.trailingData` for bytes
    /// after the last record, `.compression` for a damaged gzip stream.
    public func next() throws(FormatError) -> MNISTSample? {
        guard !finished else { return nil }
        guard index < count else {
            finished = true
            try checkEnd(images, headerSize: imageHeaderSize + count * rows * columns)
            try checkEnd(labels, headerSize: labelHeaderSize + count)
            return nil
        }
        let pixelCount = rows * columns
        let label = try readRecord(labels, size: 1, offset: labelHeaderSize + index, what: "a label")
        let pixels = try readRecord(
            images, size: pixelCount, offset: imageHeaderSize + index * pixelCount, what: "an image")
        defer { index += 1 }
        return MNISTSample(
            index: index, image: Image(height: rows, width: columns, channels: 1, pixels: pixels), label: Int(label[0]))
    }

    private func readRecord(_ input: ByteInput, size: Int, offset: Int, what: String) throws(FormatError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try input.read(count: size)
        } catch {
            finished = true
            throw error.inRecord(index)
        }
        guard bytes.count == size else {
            finished = true
            throw FormatError(
                .truncated, path: input.path, record: index, offset: offset, "\(input.endPhrase) inside \(what)",
                expected: "\(size) bytes", found: "\(bytes.count)")
        }
        return bytes
    }

    private func checkEnd(_ input: ByteInput, headerSize end: Int) throws(FormatError) {
        let extra = try input.drainRemaining()
        guard extra == 0 else {
            throw FormatError(
                .trailingData, path: input.path, offset: end, "data after the last of \(count) records",
                expected: "end of data", found: "\(extra) more bytes")
        }
    }
}
