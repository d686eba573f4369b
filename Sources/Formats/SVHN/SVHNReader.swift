public import Foundation
public import Imaging

/// One SVHN training sample, preprocessed as `SVHNCrop` describes.
public struct SVHNSample: Sendable, Equatable {
    /// Index of the entry in `digitStruct`.
    public var index: Int
    /// The PNG's file name.
    public var name: String
    /// `size × size × 3` RGB (64×64 by default).
    public var image: Image
    /// Number of digits, 1…`maxDigits`.
    public var length: Int
    /// The digits 0–9 left to right, padded with 10 ("no digit") to `maxDigits` entries.
    public var digits: [Int]
    /// The boxes as stored in `digitStruct`, in the full image's pixels.
    public var boxes: [DigitBox]

    init(index: Int, name: String, image: Image, length: Int, digits: [Int], boxes: [DigitBox]) {
        self.index = index
        self.name = name
        self.image = image
        self.length = length
        self.digits = digits
        self.boxes = boxes
    }
}

/// Why an entry produced no sample without being an error.
public struct SVHNSkip: Sendable, Equatable {
    /// Why the entry was left out.
    public enum Reason: Sendable, Equatable {
        /// More digits than `maxDigits` (the count is attached).
        case tooManyDigits(Int)
        /// The PNG is not in the folder (only with `missingImages: .skip`).
        case missingImage
    }

    /// Index of the entry in `digitStruct`.
    public var index: Int
    /// The PNG's file name.
    public var name: String
    /// Why it was skipped.
    public var reason: Reason

    /// A skip of entry `index` (`name`) for `reason`.
    package init(index: Int, name: String, reason: Reason) {
        self.index = index
        self.name = name
        self.reason = reason
    }
}

/// Streams an SVHN format-1 folder (`digitStruct.mat` + `1.png` …): reads each entry, decodes
/// its PNG as RGB, crops and resizes it (`SVHNCrop`), and yields `SVHNSample`s. Images with more
/// than `maxDigits` digits are skipped and recorded in `skipped`, not reported as errors.
public final class SVHNReader: FormatReader {
    /// A reader yields `SVHNSample`s.
    public typealias Sample = SVHNSample

    /// What to do when digitStruct names a PNG that is not in the folder.
    public enum MissingImagePolicy: Sendable {
        /// Throw a `.missingFile` error naming the PNG (the default).
        case fail
        /// Skip the entry and record it in `skipped`.
        case skip
    }

    /// How entries become samples.
    public struct Options: Sendable {
        /// Longest number kept; longer ones are skipped (the usual pipelines keep 5).
        public var maxDigits: Int
        /// Output side in pixels.
        public var size: Int
        /// What to do when a PNG named by digitStruct is not in the folder.
        public var missingImages: MissingImagePolicy

        /// Options with the usual pipelines' values by default: 5 digits, 64×64, missing PNGs fail.
        public init(maxDigits: Int = 5, size: Int = SVHNCrop.outputSize, missingImages: MissingImagePolicy = .fail) {
            self.maxDigits = maxDigits
            self.size = size
            self.missingImages = missingImages
        }
    }

    /// The folder with `digitStruct.mat` and the PNGs.
    public let directory: URL
    /// The options the reader was opened with.
    public let options: Options
    /// Entries in digitStruct (samples + skipped).
    public var count: Int { entries.count }
    /// Entries skipped so far, in order.
    public private(set) var skipped: [SVHNSkip] = []
    private let entries: DigitStructReader
    private var finished = false

    /// Opens `directory/digitStruct.mat`.
    public init(directory: URL, options: Options = Options()) throws(FormatError) {
        self.directory = directory
        self.options = options
        entries = try DigitStructReader(url: directory.appendingPathComponent("digitStruct.mat"))
    }

    /// The next sample with at most `maxDigits` digits, or nil after the last entry (longer
    /// numbers, and missing PNGs with `.skip`, go to `skipped`). Throws `digitStruct`'s errors
    /// (see `DigitStructReader.next()`), `.missingFile` or `.io` for a PNG that cannot be read,
    /// `.decode` for one that does not decode, `.badRecord` when the boxes lie outside the image.
    public func next() throws(FormatError) -> SVHNSample? {
        guard !finished else { return nil }
        do {
            if let sample = try nextSample() { return sample }
            finished = true
            return nil
        } catch {
            finished = true
            throw error
        }
    }

    private func nextSample() throws(FormatError) -> SVHNSample? {
        while let entry = try entries.next() {
            if entry.boxes.count > options.maxDigits {
                skipped.append(
                    SVHNSkip(index: entry.index, name: entry.name, reason: .tooManyDigits(entry.boxes.count)))
                continue
            }
            let url = directory.appendingPathComponent(entry.name)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                if options.missingImages == .skip && !FileManager.default.fileExists(atPath: url.path) {
                    skipped.append(SVHNSkip(index: entry.index, name: entry.name, reason: .missingImage))
                    continue
                }
                let exists = FileManager.default.fileExists(atPath: url.path)
                throw FormatError(
                    exists ? .io : .missingFile, path: url.path, record: entry.index,
                    exists ? "cannot read the image named by digitStruct" : "image named by digitStruct is missing")
            }
            let image = try Self.preprocess(pngBytes: [UInt8](bytes), entry: entry, path: url.path, size: options.size)
            let digits = entry.boxes.map(\.digit)
            return SVHNSample(
                index: entry.index, name: entry.name, image: image, length: digits.count,
                digits: digits + Array(repeating: 10, count: options.maxDigits - digits.count), boxes: entry.boxes)
        }
        return nil
    }

    /// Decode (RGB) → `SVHNCrop.rect` → crop → bilinear resize to `size × size`.
    package static func preprocess(
        pngBytes: [UInt8], entry: DigitStructEntry, path: String, size: Int = SVHNCrop.outputSize
    )
        throws(FormatError) -> Image
    {
        let full: Image
        do {
            full = try PNGCodec.decode(pngBytes, channels: 3)
        } catch {
            throw FormatError(.decode, path: path, record: entry.index, "PNG does not decode: \(error.message)")
        }
        guard let rect = SVHNCrop.rect(for: entry.boxes, imageWidth: full.width, imageHeight: full.height) else {
            throw FormatError(
                .badRecord, path: path, record: entry.index, "digit boxes lie outside the image",
                expected: "boxes overlapping \(full.width)×\(full.height)", found: "\(entry.boxes)")
        }
        return SVHNCrop.apply(rect, to: full, size: size)
    }
}
