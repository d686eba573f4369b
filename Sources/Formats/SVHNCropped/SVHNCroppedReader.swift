public import Foundation
public import Imaging

/// One digit of SVHN's cropped-digits format (format 2): the shape of an MNIST sample (position,
/// image, label), so it is one. The image is 32×32×3 RGB, row-major and interleaved (HWC; the
/// file stores it column-major, one colour plane after another); the label is the digit 0–9, the
/// file's 10 read as 0, as TensorFlow Datasets does.
public typealias SVHNCroppedSample = MNISTSample

/// Streams `train_32x32.mat`, `test_32x32.mat` or `extra_32x32.mat`: MAT v5 files with `X`, a
/// 32×32×3×N uint8 array, and `y`, N×1 labels 1–10 (10 for the digit 0), each stored plain
/// (`miMATRIX`) or zlib-compressed (`miCOMPRESSED`), little- or big-endian.
///
/// `init` walks the file's elements by their byte counts to find both variables, checks their
/// class and shape, and reads the labels (one byte each); `next()` then reads (inflates) `X`
/// one 3,072-byte image at a time. Memory stays at the labels plus a few buffers, whatever N.
/// Every size in the file is checked before it is used, and every error names the file and a
/// byte offset (see `MATElementStream` for offsets inside compressed elements).
public final class SVHNCroppedReader: FormatReader {
    /// A reader yields `SVHNCroppedSample`s.
    public typealias Sample = SVHNCroppedSample

    /// Image side and channels: `X` is `side × side × channels × N`.
    public static let side = 32
    /// Channels per image (RGB).
    public static let channels = 3
    /// Bytes per image.
    public static let imageSize = side * side * channels
    /// More images than this in one file is not SVHN (extra has 531,131); it bounds the labels'
    /// memory (one byte each) whatever the file claims.
    public static let maxCount = 10_000_000

    /// Images in the file (N).
    public let count: Int
    /// The labels as the file stores them (1–10; 0 also accepted), in order.
    public let storedLabels: [UInt8]
    private let images: MATElementStream
    private var record: [UInt8]
    private var index = 0
    private var finished = false

    /// Opens the `.mat` file at `url`, finds `X` and `y`, checks them and reads the labels.
    /// Throws `.badMagic` for a file that is not MAT v5, `.missingEntry` without `X` or `y`,
    /// `.countMismatch` when they disagree on N, `.badType`, `.badDimensions`, `.badSize` or
    /// `.badRecord` for a variable of the wrong class, shape or size, `.truncated` or
    /// `.compression` for damaged data and `.io` for a failed read.
    public init(file url: URL) throws(FormatError) {
        let file = try MATFile(path: url.path, wanted: ["X", "y"])
        func variable(_ name: String) throws(FormatError) -> MATFile.Variable {
            guard let found = file.variables[name] else {
                let others = file.otherNames.isEmpty ? "none" : file.otherNames.joined(separator: ", ")
                throw FormatError(
                    .missingEntry, path: file.path, offset: file.size, "no variable named \(name) in the file",
                    expected: "X (32×32×3×N uint8) and y (N×1)", found: "other variables: \(others)")
            }
            return found
        }
        let x = try variable("X")
        let y = try variable("y")
        count = try Self.checkImages(x, file: file)
        storedLabels = try Self.readLabels(y, count: count, file: file)
        // Compressed: inflate one image at a time, so damage is reported at the image it hits.
        images = try file.open(x, bufferSize: x.isCompressed ? Self.imageSize : 1 << 16)
        let dataTag = try images.readTag(what: "X's data")
        guard dataTag.dataType == .uint8 else {
            throw images.error(
                .badType, at: dataTag.position, "pixels are not stored as bytes",
                expected: MATDataType.name(of: MATDataType.uint8.rawValue), found: MATDataType.name(of: dataTag.type))
        }
        guard dataTag.size == count * Self.imageSize, dataTag.smallData == nil || count == 0 else {
            throw images.error(
                .badSize, at: dataTag.position, "pixel byte count disagrees with the dimensions",
                expected: "\(count * Self.imageSize) (\(x.header.shapeText))", found: "\(dataTag.size)")
        }
        guard dataTag.size <= images.end - images.position else {
            throw images.error(
                .badSize, at: dataTag.position, "pixels run past the end of the array element",
                expected: "at most \(images.end - images.position) bytes", found: "\(dataTag.size)")
        }
        record = [UInt8](repeating: 0, count: Self.imageSize)
    }

    /// N from `X`'s header: class uint8, real, 32×32×3×N (or 32×32×3: MATLAB drops a trailing 1).
    private static func checkImages(_ x: MATFile.Variable, file: MATFile) throws(FormatError) -> Int {
        let header = x.header
        guard header.arrayClass == MATArrayClass.uint8, !header.isComplex else {
            throw x.headerError(
                .badType, "images are not a real uint8 array", expected: MATArrayClass.name(of: MATArrayClass.uint8),
                found: MATArrayClass.name(of: header.arrayClass) + (header.isComplex ? ", complex" : ""))
        }
        let dims = header.dimensions
        guard dims.count == 3 || dims.count == 4, Array(dims[0..<3]) == [side, side, channels] else {
            throw x.headerError(
                .badDimensions, "images are not 32×32×3×N", expected: "32×32×3×N", found: header.shapeText)
        }
        let count = dims.count == 4 ? dims[3] : 1
        guard count <= maxCount else {
            throw x.headerError(
                .badDimensions, "implausibly many images", expected: "at most \(maxCount)", found: "\(count)")
        }
        return count
    }

    /// `y`'s values as digits' stored labels: a real numeric N×1 (or 1×N) array whose values are
    /// whole numbers 0–10. Read in chunks; the array grows only as values arrive.
    private static func readLabels(_ y: MATFile.Variable, count: Int, file: MATFile) throws(FormatError) -> [UInt8] {
        let stream = try file.open(y)
        let header = y.header
        guard MATArrayClass.numeric.contains(header.arrayClass), !header.isComplex else {
            throw y.headerError(
                .badType, "labels are not a real numeric array", expected: "a numeric class such as mxDOUBLE_CLASS (6)",
                found: MATArrayClass.name(of: header.arrayClass) + (header.isComplex ? ", complex" : ""))
        }
        let dims = header.dimensions
        guard dims.count == 2, dims.contains(1) || dims.contains(0) else {
            throw y.headerError(
                .badDimensions, "labels are not a column", expected: "\(count)×1", found: header.shapeText)
        }
        guard dims[0] * dims[1] == count else {
            throw y.headerError(
                .countMismatch, "label count disagrees with X's image count", expected: "\(count)",
                found: "\(dims[0] * dims[1])")
        }
        let tag = try stream.readTag(what: "y's data")
        guard let type = tag.dataType, let width = type.numericWidth else {
            throw stream.error(
                .badType, at: tag.position, "labels are not stored as numbers", expected: "a numeric type",
                found: MATDataType.name(of: tag.type))
        }
        guard tag.size == count * width else {
            throw stream.error(
                .badSize, at: tag.position, "label byte count disagrees with the dimensions",
                expected: "\(count * width) (\(count) × \(width))", found: "\(tag.size)")
        }
        var labels: [UInt8] = []
        labels.reserveCapacity(Swift.min(count, 1 << 16))
        func take(_ bytes: UnsafeRawBufferPointer, firstIndex: Int, position: Int) throws(FormatError) {
            for i in 0..<(bytes.count / width) {
                let value = type.number(bytes, at: i * width, order: file.order)
                guard value >= 0, value <= 10, value == value.rounded() else {
                    throw stream.error(
                        .badRecord, at: position + i * width, record: firstIndex + i, "label out of range",
                        expected: "a whole number 0…10, 10 being the digit 0", found: "\(value)")
                }
                labels.append(UInt8(value))
            }
        }
        if let small = tag.smallData {
            try typed { try small.withUnsafeBytes { try take($0, firstIndex: 0, position: tag.position + 4) } }
        } else {
            let chunkValues = 8192
            var chunk = [UInt8](repeating: 0, count: chunkValues * width)
            var done = 0
            while done < count {
                let n = Swift.min(chunkValues, count - done)
                let position = stream.position
                try typed {
                    try chunk.withUnsafeMutableBytes { buffer in
                        let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(n * width)])
                        try stream.read(into: part, what: "the labels", record: done)
                        try take(UnsafeRawBufferPointer(part), firstIndex: done, position: position)
                    }
                }
                done += n
            }
        }
        return labels
    }

    /// The next image and its label (the file's 10 read as 0), or nil after the N-th; throws
    /// `.truncated` or `.compression` when `X` ends early or does not inflate.
    public func next() throws(FormatError) -> SVHNCroppedSample? {
        guard !finished else { return nil }
        guard index < count else {
            finished = true
            try images.finish()
            return nil
        }
        do {
            try typed {
                try record.withUnsafeMutableBytes { try images.read(into: $0, what: "an image", record: index) }
            }
        } catch {
            finished = true
            throw error
        }
        let stored = storedLabels[index]
        defer { index += 1 }
        return MNISTSample(index: index, image: Self.interleave(record), label: stored == 10 ? 0 : Int(stored))
    }

    /// Moves past `count` images without decoding them: no read at all in a plain file,
    /// inflating and dropping in a compressed one.
    public func skip(_ count: Int) throws(FormatError) -> Int {
        guard !finished else { return 0 }
        let n = Swift.min(count, self.count - index)
        do {
            try images.skip(n * Self.imageSize, what: "the images skipped", record: index)
        } catch {
            finished = true
            throw error
        }
        index += n
        return n
    }

    /// Column-major planes (`X(row, column, channel)` at `row + 32·column + 1024·channel`) →
    /// row-major interleaved HWC.
    static func interleave(_ planes: [UInt8]) -> Image {
        let pixels = [UInt8](unsafeUninitializedCapacity: imageSize) { out, initialized in
            planes.withUnsafeBufferPointer { source in
                var i = 0
                for channel in 0..<channels {
                    for column in 0..<side {
                        for row in 0..<side {
                            out[(row * side + column) * channels + channel] = source[i]
                            i += 1
                        }
                    }
                }
            }
            initialized = imageSize
        }
        return Image(height: side, width: side, channels: channels, pixels: pixels)
    }
}
