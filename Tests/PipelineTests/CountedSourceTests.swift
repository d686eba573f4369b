import Dispatch
import Examples
import Formats
import Foundation
import Imaging
@testable import Pipeline
import RecordIO
import Shards
import ShardKitSupport
import Synth
import Synchronization
import TestSupport
import Testing

/// Synth and generate on the spine: their `CountedSource` of keyed record numbers, their recipe
/// steps (`SynthRecipe`, `GeneratedRecipe`), and that the shards the commands write are exactly
/// those steps' Examples in the source's order.
@Suite struct CountedSourceTests {
    static func drain<Key>(_ source: CountedSource<Key>) -> [CountedSample<Key>] {
        var samples: [CountedSample<Key>] = []
        while let sample = source.next() { samples.append(sample) }
        return samples
    }

    /// The raw payloads of every record of `split`'s shards under `directory`, in shard order.
    static func payloads(_ directory: URL, split: String) throws -> [[UInt8]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("synth-\(split).tfrecord") && !$0.hasSuffix(".index") }.sorted()
        var payloads: [[UInt8]] = []
        for file in files {
            var reader = try RecordReader(path: directory.appendingPathComponent(file).path)
            while let payload = try reader.nextRecord() { payloads.append(Array(payload)) }
        }
        return payloads
    }

    // MARK: The counted source

    @Test func countsTheNumbersOfItsRangesInOrderSkippingEmptyOnes() {
        let source = CountedSource([0..<0, 3..<5, 5..<5, 9..<10]) { "k\($0)" }
        let samples = Self.drain(source)
        #expect(samples.map(\.sample) == [3, 4, 9])
        #expect(samples.map(\.key) == ["k3", "k4", "k9"])
        // Finished, it stays finished.
        #expect(source.next() == nil)
        #expect(Self.drain(CountedSource([]) { $0 }).isEmpty)
    }

    // MARK: Synth

    static func recipe(split: String = "train", augment: String? = nil, copies: Int = 1) throws -> SynthRecipe {
        var request = SynthRequest(
            digits: SynthWriterTests.digits, output: URL(fileURLWithPath: "/nonexistent"),
            configuration: .init(seed: 11), quiet: true)
        request.augment = try augment.map { try AugmentSpec(parsing: $0) }
        request.copies = copies
        let digits = try DigitSource.mnist(directory: request.digits, split: split == "train" ? .train : .test)
        return try SynthWriter.recipe(request, source: digits, split: split)
    }

    @Test func synthKeysAreTheTextsSynthHasAlwaysDrawnWith() throws {
        let key = SynthKey(split: "train", index: 42, copy: 1)
        #expect(key.drawKey == "train/42")
        #expect(key.recordKey == RecordKey("train/42/1"))
        // Record r is copy r % copies of string r / copies.
        let recipe = try Self.recipe(augment: "flip=lr", copies: 3)
        let keys = Self.drain(recipe.source([6..<8])).map(\.key)
        #expect(keys == [SynthKey(split: "train", index: 2, copy: 0), SynthKey(split: "train", index: 2, copy: 1)])
        // A split left unaugmented has one record per string.
        let test = try Self.recipe(split: "test", augment: "flip=lr", copies: 3)
        #expect(Self.drain(test.source([5..<6])).map(\.key) == [SynthKey(split: "test", index: 5, copy: 0)])
    }

    @Test func synthStepIsAPureFunctionOfItsKey() throws {
        let recipe = try Self.recipe(augment: "crop=54,resize=64,brightness=0.3", copies: 2)
        let samples = Self.drain(recipe.source([0..<6]))
        func bytes(_ sample: CountedSample<SynthKey>) throws -> [UInt8] {
            var workspace = recipe.makeWorkspace()
            return try recipe.make(sample, workspace: &workspace).serialized()
        }
        let first = try samples.map(bytes)
        // Two threads, each with its own workspace reused over the samples, give the same bytes.
        let results = Mutex<[[[UInt8]]?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var workspace = recipe.makeWorkspace()
            let made = try? samples.map { try recipe.make($0, workspace: &workspace).serialized() }
            results.withLock { $0[worker] = made }
        }
        #expect(results.withLock { $0 } == [first, first])
        // Two copies of one string: the same digits, other pixels.
        let (a, b) = (try Example(serializedBytes: first[0]), try Example(serializedBytes: first[1]))
        #expect(a.int64s("digits") == b.int64s("digits"))
        #expect(a.bytes("image") != b.bytes("image"))
    }

    @Test func synthShardsHoldTheStepsExamplesInTheSourcesOrder() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var request = SynthRequest(
            digits: SynthWriterTests.digits, output: directory, trainCount: 25, testCount: 7,
            configuration: .init(seed: 11), shards: 2, jobs: 2, quiet: true)
        request.augment = try AugmentSpec(parsing: "flip=lr,brightness=0.2")
        request.copies = 2
        _ = try SynthWriter.write(request)
        for (split, records) in [("train", 50), ("test", 7)] {
            let recipe = try Self.recipe(split: split, augment: "flip=lr,brightness=0.2", copies: 2)
            var workspace = recipe.makeWorkspace()
            let made = try Self.drain(recipe.source([0..<records])).map {
                try recipe.make($0, workspace: &workspace).serialized()
            }
            #expect(try Self.payloads(directory, split: split) == made, "\(split)")
        }
    }

    // MARK: Generate

    @Test func generateIsItsCountedSourceThroughItsStepAndTheEngine() throws {
        let source = GeneratedRecipe.source(records: 5)
        var written: [[UInt8]] = []
        var schema = SchemaAccumulator()
        let engine = OrderedEncoder<CountedSample<Int>>(
            jobs: 1, chunkSize: 2, makeEncoder: GeneratedRecipe().encoder(observingSchema: true),
            describe: { _ in (0, 0) })
        try engine.run(
            next: { source.next() }, write: { _, bytes in written.append(Array(bytes)) },
            observe: { _, observed in schema.merge(observed) }, progress: { _ in })
        #expect(written == (0..<5).map { SyntheticRecords.example(index: $0).serialized() })
        #expect(schema.entries.map(\.key).sorted() == ["digits", "id", "image", "length", "weight"])
        #expect(Self.drain(GeneratedRecipe.source(records: 0)).isEmpty)
    }
}
