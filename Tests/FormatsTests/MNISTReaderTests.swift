import Formats
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct MNISTReaderTests {
    static let broken = "broken/mnist/"

    func reader(_ images: String, _ labels: String) throws(FormatError) -> MNISTReader {
        try MNISTReader(images: FixturePaths.fixture(images), labels: FixturePaths.fixture(labels))
    }

    @Test(arguments: ["", ".gz"])
    func tinySetMatchesGenerator(suffix: String) throws {
        let expected = try expectedJSON("mnist/expected.json")
        for (split, prefix) in [("train", "train"), ("t10k", "t10k")] {
            let r = try reader(
                "mnist/\(prefix)-images-idx3-ubyte\(suffix)", "mnist/\(prefix)-labels-idx1-ubyte\(suffix)")
            let samples = try readAll(r)
            let want = expected.dict(split)
            #expect(samples.map(\.label) == want.ints("labels"))
            #expect(samples.map { $0.image.pixels.reduce(0) { $0 + Int($1) } } == want.ints("pixelSums"))
            #expect(samples.map(\.index) == Array(0..<samples.count))
            #expect(samples.allSatisfy { $0.image.height == 28 && $0.image.width == 28 && $0.image.channels == 1 })
            for probe in want.list("probes") {
                let image = samples[probe.int("index")].image
                #expect(Int(image.pixels[probe.int("row") * 28 + probe.int("col")]) == probe.int("value"))
            }
            #expect(try r.next() == nil)
        }
    }

    @Test func sequenceYieldsResults() throws {
        let r = try reader("mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte")
        var count = 0
        for result in r {
            _ = try result.get()
            count += 1
        }
        #expect(count == 10)
    }

    @Test func digitsSetReadsCompletely() throws {
        let expected = try expectedJSON("digits/expected.json")
        let dataset = try MNISTDataset(directory: FixturePaths.fixture("digits"))
        // Plain t10k preferred over .gz; train exists only as .gz.
        #expect(try dataset.files(for: .test).images.lastPathComponent == "t10k-images-idx3-ubyte")
        #expect(try dataset.files(for: .train).images.lastPathComponent == "train-images-idx3-ubyte.gz")
        for (split, key) in [(MNISTDataset.Split.train, "train"), (.test, "t10k")] {
            let r = try dataset.reader(for: split)
            var counts = [Int](repeating: 0, count: 10)
            var first: [Int] = []
            var sums: [Int] = []
            while let s = try r.next() {
                counts[s.label] += 1
                if s.index < 20 {
                    first.append(s.label)
                    sums.append(s.image.pixels.reduce(0) { $0 + Int($1) })
                }
            }
            let want = expected.dict(key)
            #expect(r.count == want.int("count"))
            #expect(counts == want.ints("labelCounts"))
            #expect(first == want.ints("firstLabels"))
            #expect(sums == want.ints("pixelSums"))
        }
    }

    @Test func datasetHandlesEMNISTNamesAndMissingParts() throws {
        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.copyItem(
            at: FixturePaths.fixture("mnist/t10k-images-idx3-ubyte.gz"),
            to: dir.appendingPathComponent("emnist-digits-test-images-idx3-ubyte.gz"))
        try fm.copyItem(
            at: FixturePaths.fixture("mnist/t10k-labels-idx1-ubyte.gz"),
            to: dir.appendingPathComponent("emnist-digits-test-labels-idx1-ubyte.gz"))
        let dataset = try MNISTDataset(directory: dir)
        #expect(try readAll(dataset.reader(for: .test)).count == 10)
        #expect(formatError { _ = try dataset.files(for: .train) }?.kind == .missingFile)
        try fm.copyItem(
            at: FixturePaths.fixture("mnist/train-images-idx3-ubyte"),
            to: dir.appendingPathComponent("train-images.idx3-ubyte"))
        let error = formatError { _ = try MNISTDataset(directory: dir) }
        #expect(error?.kind == .io)  // two prefixes: "emnist-digits-" and ""
    }

    @Test func truncatedImageFile() {
        let e = formatError {
            _ = try reader(Self.broken + "truncated-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .truncated)
        #expect(e?.record == 5)
        #expect(e?.offset == 16 + 5 * 784)
        #expect(e?.expected == "784 bytes")
        #expect(e?.found == "300")
        #expect(
            e?.description
                == "truncated-images-idx3-ubyte: record 5 at byte 3936: file ends inside an image (expected 784 bytes, found 300)"
        )
    }

    @Test func headerCut() {
        let e = formatError {
            _ = try reader(Self.broken + "header-cut-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .truncated)
        #expect(e?.offset == 4)
        #expect(e?.found == "6")
        #expect(e?.record == nil)
    }

    @Test func wrongMagic() {
        let e = formatError {
            _ = try reader(Self.broken + "bad-magic-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .badMagic)
        #expect(e?.offset == 0)
        #expect(e?.found == "0x00000801 (2049)")
        // Images and labels swapped: the label file is checked as an image file.
        let swapped = formatError { _ = try reader("mnist/train-labels-idx1-ubyte", "mnist/train-images-idx3-ubyte") }
        #expect(swapped?.kind == .badMagic)
    }

    @Test func wrongTypeByte() {
        let e = formatError {
            _ = try reader(Self.broken + "bad-type-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .badType)
        #expect(e?.offset == 2)
        #expect(e?.expected == "0x08")
        #expect(e?.found == "0x0D")
    }

    @Test func wrongDimensionCount() {
        let e = formatError {
            _ = try reader(Self.broken + "bad-dims-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .badDimensions)
        #expect(e?.offset == 3)
        #expect(e?.found == "2")
    }

    @Test func countMismatch() {
        let e = formatError {
            _ = try reader("mnist/train-images-idx3-ubyte", Self.broken + "count19-labels-idx1-ubyte")
        }
        #expect(e?.kind == .countMismatch)
        #expect(e?.expected == "20")
        #expect(e?.found == "19")
    }

    @Test func payloadShorterThanDimensions() {
        let e = formatError {
            _ = try reader(Self.broken + "short-payload-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .truncated)
        #expect(e?.record == 17)
        #expect(e?.offset == 16 + 17 * 784)
        #expect(e?.found == "0")
    }

    @Test func trailingBytes() {
        let e = formatError {
            _ = try reader(Self.broken + "trailing-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte")
        }
        #expect(e?.kind == .trailingData)
        #expect(e?.offset == 16 + 20 * 784)
    }

    @Test func gzipCutShort() throws {
        // The header and the first records decompress; the error comes at the record where the stream stops.
        let r = try reader(Self.broken + "cut-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz")
        var read = 0
        let e = formatError {
            while try r.next() != nil { read += 1 }
        }
        #expect(e?.kind == .truncated)
        #expect(e?.record == read)
        #expect(e?.offset == 16 + read * 784)
        #expect(e?.message == "gzip stream ends early inside an image")
        #expect(read > 0 && read < 20)
        #expect(try r.next() == nil)
    }

    @Test func gzipBadChecksum() {
        // Found when zlib reaches the trailer: here, while the first buffer is filled.
        let e = formatError {
            let r = try reader(Self.broken + "bad-crc-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte")
            while try r.next() != nil {}
        }
        #expect(e?.kind == .compression)
        #expect(e?.message == "gzip data is corrupt: incorrect data check")
    }

    @Test func missingFile() {
        let e = formatError { _ = try reader("mnist/nope-images-idx3-ubyte", "mnist/train-labels-idx1-ubyte") }
        #expect(e?.kind == .missingFile)
    }
}
