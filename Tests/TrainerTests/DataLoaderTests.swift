import Examples
import Foundation
import RecordIO
import Shards
import TestSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("Shard loader")
struct DataLoaderTests {
    /// Records are labelled with their own index so the order is visible.
    let spec = InputSpec(
        inputShape: [8, 8, 1], labels: .classifier(key: "label", classes: 1000), normalization: .scale)

    @Test func evaluationReadsEveryRecordInManifestOrder() throws {
        let dir = try writeClassifierDataset(splits: ["test": 50], size: 8, classes: 1000, label: { Int64($0) })
        defer { try? FileManager.default.removeItem(at: dir) }
        // Three shards of 16, 17, 17 records, read with cycle length 1: manifest order.
        let labels = try loadLabels(
            dir, split: "test", spec: spec, options: .init(batchSize: 8, training: false, cycleLength: 1))
        #expect(labels == (0..<50).map { Int32($0) })
        // The default interleaves shards record by record but still delivers each record once.
        let interleaved = try loadLabels(dir, split: "test", spec: spec, options: .init(batchSize: 7, training: false))
        #expect(interleaved.count == 50)
        #expect(Set(interleaved) == Set((0..<50).map { Int32($0) }))
        #expect(Array(interleaved.prefix(3)) == [0, 16, 33])
    }

    @Test func trainingShufflesDeterministicallyPerSeedAndEpoch() throws {
        let dir = try writeClassifierDataset(splits: ["train": 100], size: 8, classes: 1000, label: { Int64($0) })
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(seed: UInt64, epoch: Int, workers: Int = 1) throws -> [Int32] {
            try loadLabels(
                dir, spec: spec,
                options: .init(
                    batchSize: 10, training: true, seed: seed, epoch: epoch, shuffleBuffer: 32, workers: workers))
        }
        let a = try run(seed: 1, epoch: 0)
        #expect(a.count == 100)
        #expect(Set(a).count == 100)
        #expect(a != (0..<100).map { Int32($0) })
        #expect(try run(seed: 1, epoch: 0, workers: 3) == a)
        #expect(try run(seed: 1, epoch: 1) != a)
        #expect(try run(seed: 2, epoch: 0) != a)
    }

    @Test func dropsOrKeepsTheRemainderAndSkipsBatches() throws {
        let dir = try writeClassifierDataset(splits: ["train": 45], size: 8, classes: 1000, label: { Int64($0) })
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try loadLabels(dir, spec: spec, options: .init(batchSize: 10, training: true, seed: 3))
        #expect(full.count == 40)
        let skipped = try loadLabels(
            dir, spec: spec, options: .init(batchSize: 10, training: true, seed: 3, skipBatches: 2))
        #expect(skipped == Array(full.dropFirst(20)))
        let kept = try loadLabels(dir, spec: spec, options: .init(batchSize: 10, training: false))
        #expect(kept.count == 45)
    }

    @Test func imagesAreScaledAndShaped() throws {
        let dir = try writeClassifierDataset(
            splits: ["test": 4], shards: 1, size: 8, classes: 1000, label: { Int64($0) })
        defer { try? FileManager.default.removeItem(at: dir) }
        let loader = try ShardLoader(
            dataset: try Dataset(directory: dir.path), split: "test", spec: spec,
            options: .init(batchSize: 4, training: false))
        let batch = try #require(try loader.nextBatch())
        #expect(batch.images.shape == [4, 8, 8, 1])
        // Record 2, pixel 5: (2 + 15) / 255.
        #expect(abs(batch.images.scalars[2 * 64 + 5] - 17 / 255) < 1e-6)
        #expect(try loader.nextBatch() == nil)
    }

    @Test func theImageIsTheFeatureTheManifestNames() throws {
        let dir = try writeClassifierDataset(splits: ["train": 8, "test": 4], shards: 1, imageKey: "pixels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mnist = InputSpec(inputShape: [28, 28, 1], labels: .classifier(key: "label", classes: 10), normalization: .scale)
        #expect(mnist.imageKey == "image")
        let loader = try ShardLoader(
            dataset: try Dataset(directory: dir.path), split: "test", spec: mnist,
            options: .init(batchSize: 4, training: false))
        let batch = try #require(try loader.nextBatch())
        // Record 2, pixel 5: (2 + 15) / 255.
        #expect(abs(batch.images.scalars[2 * 784 + 5] - 17 / 255) < 1e-6)
        // Training takes the key from the manifest too, and so the checkpoint records it.
        var c = TrainingConfiguration(
            dataDirectory: dir.path, modelName: "mnist", runDirectory: dir.appendingPathComponent("run").path)
        c.batchSize = 4
        let session = try TrainingSession(c)
        #expect(session.spec.imageKey == "pixels")
        #expect(session.spec.metadata["image_key"] == "pixels")
    }

    @Test func aRecordThatDoesNotFitNamesTheShardAndRecord() throws {
        let dir = try writeClassifierDataset(
            splits: ["test": 30], shards: 2, size: 8, classes: 10, corrupt: (split: "test", record: 20))
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec10 = InputSpec(
            inputShape: [8, 8, 1], labels: .classifier(key: "label", classes: 10), normalization: .scale)
        let loader = try ShardLoader(
            dataset: try Dataset(directory: dir.path), split: "test", spec: spec10,
            options: .init(batchSize: 4, training: false, cycleLength: 1))
        var delivered = 0
        let error = #expect(throws: DataError.self) {
            while let b = try loader.nextBatch() { delivered += b.count }
        }
        #expect(delivered == 20)
        #expect(error?.path.hasSuffix("toy-test.tfrecord-00001-of-00002") == true)
        #expect(error?.recordIndex == 5)
        #expect(error?.description.contains("expected a class in 0..<10, found 10") == true)
    }

    /// A damaged record: the error names the shard, the record and its byte offset, and keeps
    /// the reader's `RecordIOError` whole as its cause.
    @Test func aDamagedRecordKeepsItsOffsetAndTheReadersError() throws {
        let dir = try writeClassifierDataset(splits: ["test": 6], shards: 1, size: 8)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard = dir.appendingPathComponent("toy-test.tfrecord-00000-of-00001")
        var bytes = [UInt8](try Data(contentsOf: shard))
        // Walk the framing (length, its CRC, payload, its CRC) to record 3 and flip a payload byte.
        var offset = 0
        for _ in 0..<3 {
            let length = (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            offset += 16 + length
        }
        bytes[offset + 12 + 5] ^= 0x40
        try Data(bytes).write(to: shard)
        let loader = try ShardLoader(
            dataset: try Dataset(directory: dir.path), split: "test", spec: spec,
            options: .init(batchSize: 1, training: false))
        let error = #expect(throws: DataError.self) { while try loader.nextBatch() != nil {} }
        #expect(error?.kind == .malformed)
        #expect(error?.path == shard.path)
        #expect(error?.recordIndex == 3)
        #expect(error?.byteOffset == Int64(offset))
        #expect(error?.description.contains("record 3 at byte \(offset)") == true)
        let cause = try #require(error?.underlying as? RecordIOError)
        guard case .payloadChecksumMismatch = cause.kind else {
            Issue.record("cause: \(cause)")
            return
        }
    }

    @Test func aDatasetWithoutTheModelsFeaturesIsRejectedUpFront() throws {
        let dir = try writeClassifierDataset(splits: ["test": 4], shards: 1, size: 8)
        defer { try? FileManager.default.removeItem(at: dir) }
        let digits = InputSpec(
            inputShape: [8, 8, 1], labels: .digitString(lengthKey: "length", digitsKey: "digits"), normalization: .scale
        )
        let error = #expect(throws: DataError.self) {
            _ = try ShardLoader(
                dataset: try Dataset(directory: dir.path), split: "test", spec: digits,
                options: .init(batchSize: 4, training: false))
        }
        #expect(error?.description.contains("needs feature 'length'") == true)
        #expect(throws: DataError.self) {
            _ = try ShardLoader(
                dataset: try Dataset(directory: dir.path), split: "train", spec: spec,
                options: .init(batchSize: 4, training: false))
        }
    }

    @Test func digitStringLabelsAndCrops() throws {
        // 64×64×3 raw images with length/digits, as `shardkit synth` writes them.
        let dir = try FixturePaths.makeScratchDirectory("trainer-digits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try ShardedWriter(
            directory: dir.path, name: "s", split: "train", sharding: .shards(1), records: 3, durable: false)
        let lengths: [Int64] = [1, 5, 7]
        for (i, length) in lengths.enumerated() {
            let digits: [Int64] = (0..<5).map { $0 < length ? Int64((i + $0) % 10) : 10 }
            try writer.write(
                Example([
                    "image": .bytes([[UInt8](repeating: UInt8(i * 40), count: 64 * 64 * 3)]), "length": .int64(length),
                    "digits": .int64(digits),
                ]).serialized())
        }
        try Manifest(
            name: "s", version: "1", splits: ["train": SplitManifest(shards: try writer.finish())],
            image: ImageSpec(key: "image", height: 64, width: 64, channels: 3, encoding: .raw)
        ).write(to: dir.path)
        let spec = InputSpec.forModel(Model.digits())
        let loader = try ShardLoader(
            dataset: try Dataset(directory: dir.path), split: "train", spec: spec,
            options: .init(batchSize: 3, training: true, shuffleBuffer: 1, cycleLength: 1, dropRemainder: false))
        let batch = try #require(try loader.nextBatch())
        #expect(batch.images.shape == [3, 54, 54, 3])
        #expect(batch.labels.count == 6)
        #expect(batch.labels[0] == [1, 5, 6])
        #expect(batch.labels[1] == [0, 1, 2])
        #expect(batch.labels[2] == [10, 2, 3])
    }
}
