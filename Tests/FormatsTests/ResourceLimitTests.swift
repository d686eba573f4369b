import Formats
import Foundation
import Imaging
import TestSupport
import Testing

/// A header that declares huge counts or sizes is an error before anything of that size is
/// allocated, in every raw format. Each test crafts such a header and checks the error, whose kind
/// and wording show which check caught it (a reader that allocated first would fail later, with
/// a different error, after reserving the declared size).
@Suite final class ResourceLimitTests {
    let directory: URL

    init() throws {
        directory = try FixturePaths.makeScratchDirectory("shardkit-limits")
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `bytes` to a new file in the scratch directory and returns its URL.
    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    func idxImages(count: UInt32, rows: UInt32, columns: UInt32, payload: Int = 0) -> [UInt8] {
        [0, 0, 8, 3] + bigEndian(count) + bigEndian(rows) + bigEndian(columns) + [UInt8](repeating: 0, count: payload)
    }

    func idxLabels(count: UInt32) -> [UInt8] { [0, 0, 8, 1] + bigEndian(count) }

    @Test func idxImageOfHugeDimensionsIsRejectedByTheHeader() throws {
        // 16384 × 16384: each dimension is allowed, their product (a 256 MiB record) is not.
        let images = try file("huge-images-idx3-ubyte", idxImages(count: 1, rows: 16384, columns: 16384))
        let labels = try file("huge-labels-idx1-ubyte", idxLabels(count: 1) + [3])
        let error = formatError { _ = try MNISTReader(images: images, labels: labels) }
        #expect(error?.kind == .badDimensions)
        #expect(error?.offset == 8)
        #expect(error?.expected == "at most 16777216 pixels")
        #expect(error?.found == "268435456")
    }

    @Test func idxHugeCountInAPlainFileIsRejectedByItsSize() throws {
        // 4 294 967 295 images of 28 × 28 announced, two present: caught when the reader is made.
        let images = try file("many-images-idx3-ubyte", idxImages(count: .max, rows: 28, columns: 28, payload: 2 * 784))
        let labels = try file("many-labels-idx1-ubyte", idxLabels(count: .max) + [1, 2])
        let error = formatError { _ = try MNISTReader(images: images, labels: labels) }
        #expect(error?.kind == .truncated)
        #expect(error?.record == 2)
        #expect(error?.offset == 16 + 2 * 784)
    }

    func gntRecord(size: UInt32, width: UInt16, height: UInt16) -> [UInt8] {
        withUnsafeBytes(of: size.littleEndian) { Array($0) } + [0xD6, 0xD0]
            + withUnsafeBytes(of: width.littleEndian) { Array($0) }
            + withUnsafeBytes(of: height.littleEndian) { Array($0) }
    }

    @Test func gntImageOfHugeDimensionsIsRejectedByTheHeader() throws {
        // 65535 × 65535 with a sample size that agrees: 4 GiB of pixels on the header's word.
        let url = try file("huge.gnt", gntRecord(size: 10 + 65535 * 65535, width: 65535, height: 65535))
        let reader = try GNTReader(file: url)
        let error = formatError { _ = try reader.next() }
        #expect(error?.kind == .badRecord)
        #expect(error?.record == 0)
        #expect(error?.message == "image of 65535×65535 pixels is larger than the limit")
        #expect(error?.found == "4294836225")
    }

    @Test func gntImageLargerThanTheRestOfThePlainFileIsTruncatedBeforeReading() throws {
        // 4000 × 4000 is under the limit; the file ends after the header.
        let url = try file("short.gnt", gntRecord(size: 10 + 4000 * 4000, width: 4000, height: 4000) + [255, 255])
        let reader = try GNTReader(file: url)
        let error = formatError { _ = try reader.next() }
        #expect(error?.kind == .truncated)
        #expect(error?.expected == "16000000 bytes")
        #expect(error?.found == "2")
    }

    @Test func cifarHasNoHeaderAndReadsOneRecordAtATime() throws {
        // CIFAR records are fixed (3073 bytes); a file of 2²⁴ records, sparse on disk, opens with
        // its count taken from the size alone and is read one record buffer at a time.
        let url = try file("sparse.bin", [])
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(CIFARVariant.cifar10.recordSize) << 24)
        try handle.close()
        let reader = try CIFARReader(file: url, variant: .cifar10)
        #expect(reader.count == 1 << 24)
        let first = try #require(try reader.next())
        #expect(first.label == 0 && first.image.pixels.count == 3072)
    }

    @Test func digitStructWithAnOverflowingEntryCountIsRejected() throws {
        // /digitStruct/name and bbox declare 2⁴⁰ × 2⁴⁰ entries (chunked, nothing stored): the
        // product does not fit in 64 bits.
        let url = FixturePaths.fixture("broken/svhn/huge-count/digitStruct.mat")
        let error = formatError { _ = try DigitStructReader(url: url) }
        #expect(error?.kind == .badRecord)
        #expect(error?.message == "implausible size of /digitStruct/name")
        #expect(error?.found == "1099511627776×1099511627776")
    }
}
