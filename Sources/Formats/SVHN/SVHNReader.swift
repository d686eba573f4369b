public import Foundation

/// Where the PNG of an SVHN entry is: a file still to read (a folder on disk, read by whoever
/// needs the pixels, e.g. an encoding worker), or its bytes already read (a PNG out of an
/// archive, which is one stream and so is read in order by the reading thread).
public enum SVHNImageData: Sendable, Equatable {
    /// The PNG file at `path`, not read yet.
    case file(path: String)
    /// The PNG's bytes, as read.
    case bytes([UInt8])

    /// The PNG's bytes: the file read whole, or the bytes held. A file that cannot be read is
    /// `.io` (`.missingFile` when it is gone), with its path and `record`, the entry's index.
    public func read(record: Int) throws(FormatError) -> [UInt8] {
        switch self {
        case .bytes(let bytes):
            return bytes
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw FormatError(
                    exists ? .io : .missingFile, path: path, record: record,
                    exists ? "cannot read the image named by digitStruct" : "image named by digitStruct is missing")
            }
            return [UInt8](data)
        }
    }
}

/// One SVHN format-1 entry as stored: its name, its digits and boxes, and its PNG undecoded.
/// What becomes of the pixels (decode, crop around the boxes, resize, encode) is the converting
/// recipe's business (Pipeline's `SVHNCrop`), not the reader's.
public struct SVHNSample: Sendable, Equatable {
    /// Index of the entry in `digitStruct`.
    public var index: Int
    /// The PNG's file name.
    public var name: String
    /// Number of digits, 1…`maxDigits`.
    public var length: Int
    /// The digits 0–9 left to right, padded with 10 ("no digit") to `maxDigits` entries.
    public var digits: [Int]
    /// The boxes as stored in `digitStruct`, in the full image's pixels.
    public var boxes: [DigitBox]
    /// The entry's PNG, not decoded.
    public var png: SVHNImageData

    /// The sample of `entry` with its digits padded to `maxDigits` (at least the entry's count)
    /// and its PNG at `png`.
    public init(entry: DigitStructEntry, maxDigits: Int, png: SVHNImageData) {
        index = entry.index
        name = entry.name
        boxes = entry.boxes
        let digits = entry.boxes.map(\.digit)
        length = digits.count
        self.digits = digits + Array(repeating: 10, count: max(0, maxDigits - digits.count))
        self.png = png
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

/// Streams an SVHN format-1 folder (`digitStruct.mat` + `1.png` …) as a pure source: each entry
/// with its boxes and the path of its PNG, checked to be there but neither read nor decoded.
/// Images with more than `maxDigits` digits are skipped and recorded in `skipped`, not reported
/// as errors.
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

    /// Which entries become samples.
    public struct Options: Sendable {
        /// Longest number kept; longer ones are skipped (the usual pipelines keep 5).
        public var maxDigits: Int
        /// What to do when a PNG named by digitStruct is not in the folder.
        public var missingImages: MissingImagePolicy

        /// Options with the usual pipelines' values by default: 5 digits, missing PNGs fail.
        public init(maxDigits: Int = 5, missingImages: MissingImagePolicy = .fail) {
            self.maxDigits = maxDigits
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
    /// (see `DigitStructReader.next()`) and `.missingFile` for a PNG that is not there; a PNG
    /// that is there but cannot be read fails when its `png` is read.
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
            let path = directory.appendingPathComponent(entry.name).path
            guard FileManager.default.fileExists(atPath: path) else {
                if options.missingImages == .skip {
                    skipped.append(SVHNSkip(index: entry.index, name: entry.name, reason: .missingImage))
                    continue
                }
                throw FormatError(
                    .missingFile, path: path, record: entry.index, "image named by digitStruct is missing")
            }
            return SVHNSample(entry: entry, maxDigits: options.maxDigits, png: .file(path: path))
        }
        return nil
    }
}
