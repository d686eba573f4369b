public import Foundation
public import Imaging

/// Which CIFAR binary layout a file uses.
public enum CIFARVariant: String, Sendable, CaseIterable {
    /// 1 label byte (0–9) + 3072 pixel bytes.
    case cifar10
    /// 2 label bytes (coarse 0–19, fine 0–99) + 3072 pixel bytes.
    case cifar100

    /// Label bytes before the pixels.
    var labelByteCount: Int { self == .cifar10 ? 1 : 2 }
    /// Bytes per record: 3073 or 3074.
    package var recordSize: Int { labelByteCount + CIFARReader.pixelCount }
    /// Number of (fine) classes: 10 or 100.
    public var classCount: Int { self == .cifar10 ? 10 : 100 }
}

/// One CIFAR sample.
public struct CIFARSample: Sendable, Equatable {
    /// Zero-based record index in the file.
    public var index: Int
    /// 32×32×3, channels interleaved (HWC); the file stores it planar (all red, all green, all blue).
    public var image: Image
    /// CIFAR-10: the label 0–9. CIFAR-100: the fine label 0–99.
    public var label: Int
    /// CIFAR-100: the coarse label 0–19; `nil` for CIFAR-10.
    public var coarseLabel: Int?

    init(index: Int, image: Image, label: Int, coarseLabel: Int?) {
        self.index = index
        self.image = image
        self.label = label
        self.coarseLabel = coarseLabel
    }
}

/// Streams a CIFAR-10 or CIFAR-100 binary batch file (`data_batch_1.bin`, `test_batch.bin`,
/// `train.bin`, `test.bin`), one 3073- or 3074-byte record at a time.
///
/// `init` checks that the file size is a whole number of records; each record's labels are
/// range-checked as it is read.
public final class CIFARReader: FormatReader {
    /// A reader yields `CIFARSample`s.
    public typealias Sample = CIFARSample

    /// Pixels per image: 32 × 32 × 3.
    static let pixelCount = 3072

    /// The layout the file is read with (one or two label bytes per record).
    public let variant: CIFARVariant
    /// Records in the file (plain files; `nil` for a gzip-compressed file until it is read).
    public let count: Int?
    private let input: ByteInput
    private var index = 0
    private var finished = false
    private var record: [UInt8]

    /// Reads the batch file at `file` (plain, or gzip by its first bytes).
    public convenience init(file: URL, variant: CIFARVariant) throws(FormatError) {
        try self.init(input: InputFile(disk: file), variant: variant)
    }

    /// Reads `source`: a file on disk or a file inside an archive, streamed either way.
    public init(input source: InputFile, variant: CIFARVariant) throws(FormatError) {
        self.variant = variant
        input = try source.open()
        record = [UInt8](repeating: 0, count: variant.recordSize)
        if let size = input.knownSize {
            let whole = size / variant.recordSize
            let rest = size % variant.recordSize
            guard rest == 0 else {
                throw FormatError(
                    .badSize, path: source.path,
                    "file size is not a whole number of \(variant.recordSize)-byte \(variant.rawValue) records",
                    expected: "a multiple of \(variant.recordSize)",
                    found: "\(size) bytes = \(whole) records + \(rest) bytes")
            }
            count = whole
        } else {
            count = nil
        }
    }

    /// Seeks past `count` whole records (plain files), or inflates and drops them (gzip).
    public func skip(_ count: Int) throws(FormatError) -> Int {
        guard !finished else { return 0 }
        let size = variant.recordSize
        let wanted = self.count.map { Swift.min(count, $0 - index) } ?? count
        let skipped = try input.skip(count: wanted * size)
        guard skipped % size == 0 else {
            finished = true
            throw FormatError(
                .truncated, path: input.path, record: index + skipped / size, offset: index * size + skipped,
                "\(input.endPhrase) inside a record", expected: "\(size) bytes", found: "\(skipped % size)")
        }
        index += skipped / size
        return skipped / size
    }

    /// The next record, or nil after the last whole one. Throws `.truncated` for a file that ends
    /// inside a record, `.badRecord` for a label out of range, `.compression` for a damaged gzip
    /// stream, `.io` for a failed read.
    public func next() throws(FormatError) -> CIFARSample? {
        guard !finished else { return nil }
        let size = variant.recordSize
        let offset = index * size
        let n: Int
        do {
            n = try typed { try record.withUnsafeMutableBytes { try input.read(into: $0) } }
        } catch {
            finished = true
            throw error.inRecord(index)
        }
        if n == 0 {
            finished = true
            do {
                _ = try input.drainRemaining()
            } catch {
                throw error.inRecord(index)
            }
            return nil
        }
        guard n == size else {
            finished = true
            throw FormatError(
                .truncated, path: input.path, record: index, offset: offset, "\(input.endPhrase) inside a record",
                expected: "\(size) bytes", found: "\(n)")
        }
        let coarse: Int?
        let label: Int
        if variant == .cifar100 {
            coarse = Int(record[0])
            label = Int(record[1])
            try checkLabel(coarse!, limit: 20, at: offset, what: "coarse label")
            try checkLabel(label, limit: 100, at: offset + 1, what: "fine label")
        } else {
            coarse = nil
            label = Int(record[0])
            try checkLabel(label, limit: 10, at: offset, what: "label")
        }
        let image = Self.interleave(record, from: variant.labelByteCount)
        defer { index += 1 }
        return CIFARSample(index: index, image: image, label: label, coarseLabel: coarse)
    }

    private func checkLabel(_ value: Int, limit: Int, at offset: Int, what: String) throws(FormatError) {
        guard value < limit else {
            finished = true
            throw FormatError(
                .badRecord, path: input.path, record: index, offset: offset, "\(what) out of range",
                expected: "0…\(limit - 1)", found: "\(value)")
        }
    }

    /// Planar (1024 red, 1024 green, 1024 blue) → interleaved HWC.
    static func interleave(_ record: [UInt8], from start: Int) -> Image {
        let plane = 1024
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
            record.withUnsafeBufferPointer { src in
                for p in 0..<plane {
                    out[3 * p] = src[start + p]
                    out[3 * p + 1] = src[start + plane + p]
                    out[3 * p + 2] = src[start + 2 * plane + p]
                }
            }
            initialized = 3 * plane
        }
        return Image(height: 32, width: 32, channels: 3, pixels: pixels)
    }
}
