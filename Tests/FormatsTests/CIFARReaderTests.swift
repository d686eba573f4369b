import Formats
import Foundation
import Imaging
import TestSupport
import Testing

@Suite struct CIFARReaderTests {
    func check(_ samples: [CIFARSample], _ want: [String: Any]) {
        #expect(samples.map { $0.image.pixels.reduce(0) { $0 + Int($1) } } == want.ints("pixelSums"))
        #expect(samples.allSatisfy { $0.image.height == 32 && $0.image.width == 32 && $0.image.channels == 3 })
        for probe in want.list("probes") {
            let image = samples[probe.int("index")].image
            let at = (probe.int("row") * 32 + probe.int("col")) * 3 + probe.int("channel")
            #expect(Int(image.pixels[at]) == probe.int("value"))
        }
    }

    @Test(arguments: ["data_batch_1.bin", "test_batch.bin"])
    func cifar10MatchesGenerator(file: String) throws {
        let want = try expectedJSON("cifar10/expected.json").dict(file)
        let reader = try CIFARReader(file: FixturePaths.fixture("cifar10/" + file), variant: .cifar10)
        let samples = try readAll(reader)
        #expect(reader.count == samples.count)
        #expect(samples.map(\.label) == want.ints("labels"))
        #expect(samples.allSatisfy { $0.coarseLabel == nil })
        check(samples, want)
    }

    @Test(arguments: ["train.bin", "test.bin"])
    func cifar100MatchesGenerator(file: String) throws {
        let want = try expectedJSON("cifar100/expected.json").dict(file)
        let samples = try readAll(CIFARReader(file: FixturePaths.fixture("cifar100/" + file), variant: .cifar100))
        #expect(samples.map(\.label) == want.ints("fineLabels"))
        #expect(samples.map { $0.coarseLabel ?? -1 } == want.ints("coarseLabels"))
        check(samples, want)
    }

    @Test func planarToInterleaved() throws {
        // A hand-built record: red = 1, green = 2, blue = 3 everywhere except pixel (0, 1).
        var record = [UInt8](repeating: 0, count: 3073)
        record[0] = 4
        for c in 0..<3 { for p in 0..<1024 { record[1 + c * 1024 + p] = UInt8(c + 1) } }
        record[1 + 1] = 200
        record[1 + 1024 + 1] = 201
        record[1 + 2048 + 1] = 202
        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("one.bin")
        try Data(record).write(to: url)
        let sample = try #require(try CIFARReader(file: url, variant: .cifar10).next())
        #expect(sample.label == 4)
        #expect(Array(sample.image.pixels[0..<9]) == [1, 2, 3, 200, 201, 202, 1, 2, 3])
    }

    @Test func labelNames() throws {
        let ten = try #require(try CIFARLabelNames.load(from: FixturePaths.fixture("cifar10"), variant: .cifar10))
        #expect(ten.names == (try expectedJSON("cifar10/expected.json").strings("labelNames")))
        #expect(ten.coarseNames == nil)
        let hundred = try #require(try CIFARLabelNames.load(from: FixturePaths.fixture("cifar100"), variant: .cifar100))
        let want = try expectedJSON("cifar100/expected.json")
        #expect(hundred.names == want.strings("fineNames"))
        #expect(hundred.coarseNames == want.strings("coarseNames"))
        #expect(try CIFARLabelNames.load(from: FixturePaths.fixture("mnist"), variant: .cifar10) == nil)
        // CIFAR-10 names read as CIFAR-100 fine names: wrong count.
        let dir = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            at: FixturePaths.fixture("cifar10/batches.meta.txt"), to: dir.appendingPathComponent("fine_label_names.txt")
        )
        let e = formatError { _ = try CIFARLabelNames.load(from: dir, variant: .cifar100) }
        #expect(e?.kind == .countMismatch)
        #expect(e?.found == "10")
    }

    @Test func fileOneByteShort() {
        let e = formatError {
            _ = try CIFARReader(file: FixturePaths.fixture("broken/cifar10/short.bin"), variant: .cifar10)
        }
        #expect(e?.kind == .badSize)
        #expect(e?.found == "36875 bytes = 11 records + 3072 bytes")
        #expect(e?.expected == "a multiple of 3073")
    }

    @Test func wrongVariant() {
        // A CIFAR-10 file of 12 records is not a whole number of CIFAR-100 records.
        let e = formatError {
            _ = try CIFARReader(file: FixturePaths.fixture("cifar10/data_batch_1.bin"), variant: .cifar100)
        }
        #expect(e?.kind == .badSize)
    }

    @Test func labelOutOfRange() throws {
        let reader = try CIFARReader(file: FixturePaths.fixture("broken/cifar10/bad-label.bin"), variant: .cifar10)
        var good = 0
        let e = formatError { while try reader.next() != nil { good += 1 } }
        #expect(good == 3)
        #expect(e?.kind == .badRecord)
        #expect(e?.record == 3)
        #expect(e?.offset == 3 * 3073)
        #expect(e?.description == "bad-label.bin: record 3 at byte 9219: label out of range (expected 0…9, found 10)")
        #expect(try reader.next() == nil)
    }

    @Test func sequenceEndsWithTheFailure() throws {
        let reader = try CIFARReader(file: FixturePaths.fixture("broken/cifar10/bad-label.bin"), variant: .cifar10)
        let results = Array(reader)
        #expect(results.count == 4)
        #expect(results.prefix(3).allSatisfy { (try? $0.get()) != nil })
        guard case .failure(let error) = results[3] else {
            Issue.record("expected a failure last")
            return
        }
        #expect(error.record == 3)
    }

    @Test func coarseLabelOutOfRange() throws {
        let reader = try CIFARReader(file: FixturePaths.fixture("broken/cifar100/bad-coarse.bin"), variant: .cifar100)
        let e = formatError { while try reader.next() != nil {} }
        #expect(e?.kind == .badRecord)
        #expect(e?.record == 2)
        #expect(e?.offset == 2 * 3074)
        #expect(e?.found == "20")
    }
}
