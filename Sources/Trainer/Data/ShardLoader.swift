import Foundation
import Shards
import Imaging
import RecordIO
internal import ShardKitSupport

/// One batch: images `[N, H, W, C]` and, per head, one label per image.
struct Batch: Sendable {
    var images: Tensor
    var labels: [[Int32]]
    var count: Int { images.batchSize }
}

/// Streams one pass (epoch) over a split as batches.
///
/// A reader thread interleaves the split's shards (up to `cycleLength` open at once, record by
/// record round robin, shard order shuffled per epoch), passes the records through a shuffle
/// buffer of `shuffleBuffer` records and groups them into batches; `workers` threads decode,
/// augment and normalize batches ahead of the consumer, at most `prefetch` batches ahead.
/// Memory is bounded by the shuffle buffer plus the queued batches, never by the dataset.
///
/// Deterministic: the batches depend only on the dataset, the options and the epoch — every
/// record's augmentation draws from a generator keyed by (seed, epoch, shard, record), never by
/// the thread that happens to decode it. Without `training`, records come in manifest order and
/// the evaluation augmentation (no draws) is used.
final class ShardLoader: IteratorProtocol, Sequence {
    struct Options: Sendable {
        var batchSize: Int
        var training: Bool
        var seed: UInt64
        var epoch: Int
        var shuffleBuffer: Int
        var cycleLength: Int
        var workers: Int
        var prefetch: Int
        /// Drop a last batch smaller than `batchSize` (default: when training).
        var dropRemainder: Bool
        /// Skip this many batches at the start without decoding them (to resume mid-epoch).
        var skipBatches: Int

        init(
            batchSize: Int, training: Bool, seed: UInt64 = 0, epoch: Int = 0, shuffleBuffer: Int = 4096,
            cycleLength: Int = 4, workers: Int = 1, prefetch: Int = 4, dropRemainder: Bool? = nil, skipBatches: Int = 0
        ) {
            precondition(batchSize > 0 && workers > 0 && prefetch > 0 && cycleLength > 0)
            self.batchSize = batchSize
            self.training = training
            self.seed = seed
            self.epoch = epoch
            self.shuffleBuffer = Swift.max(1, shuffleBuffer)
            self.cycleLength = cycleLength
            self.workers = workers
            self.prefetch = prefetch
            self.dropRemainder = dropRemainder ?? training
            self.skipBatches = skipBatches
        }
    }

    let spec: InputSpec
    let options: Options
    private let state: LoaderState
    private var failed = false

    /// Starts the threads for one pass over `split` of `dataset`.
    init(dataset: Dataset, split: String, spec: InputSpec, options: Options) throws(DataError) {
        // The manifest says which feature holds the image; the model's spec only says what to
        // make of it.
        let stored = try dataset.storedImage(split)
        let spec = { var s = spec; s.imageKey = stored.key; return s }()
        try dataset.check(spec)
        let paths = try dataset.shardPaths(split)
        self.spec = spec
        self.options = options
        state = LoaderState(prefetch: options.prefetch)
        let state = self.state
        let reader = Thread { readRecords(paths: paths, options: options, state: state) }
        reader.name = "shardkit.loader.read"
        reader.start()
        for w in 0..<options.workers {
            let worker = Thread {
                decodeBatches(
                    paths: paths, spec: spec, stored: stored, options: options, state: state)
            }
            worker.name = "shardkit.loader.decode\(w)"
            worker.start()
        }
    }

    deinit { state.cancel() }

    /// The next batch, or nil at the end of the pass. Throws the first error (a record that does
    /// not fit, a shard that cannot be read) once the batches before it have been delivered.
    func nextBatch() throws(DataError) -> Batch? {
        if failed { return nil }
        do {
            return try state.take()
        } catch {
            failed = true
            state.cancel()
            throw error
        }
    }

    /// `nextBatch()` for `for … in`: stops (returns nil) on an error; use `nextBatch()` to see it.
    func next() -> Batch? { try? nextBatch() }
}

/// A raw record with its place, for errors and for its augmentation key.
struct RawRecord {
    var bytes: [UInt8]
    var shard: Int
    var index: Int
}

/// The state shared by the loader's threads, guarded by one condition variable.
final class LoaderState: @unchecked Sendable {
    private let condition = NSCondition()
    private var raw: [(sequence: Int, records: [RawRecord])] = []
    private var rawHead = 0
    private var ready: [Int: Result<Batch, DataError>] = [:]
    private var inFlight = 0
    private var nextToDeliver = 0
    private var produced = 0
    private var readerDone = false
    private var readerError: DataError?
    private(set) var cancelled = false
    let prefetch: Int

    init(prefetch: Int) { self.prefetch = prefetch }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Reader: queue a raw batch; waits while `prefetch` raw batches are queued. False if cancelled.
    func put(_ records: [RawRecord]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while raw.count - rawHead >= prefetch && !cancelled { condition.wait() }
        if cancelled { return false }
        raw.append((produced, records))
        produced += 1
        condition.broadcast()
        return true
    }

    func finishReading(error: DataError?) {
        condition.lock()
        readerDone = true
        readerError = error
        condition.broadcast()
        condition.unlock()
    }

    /// Worker: the next raw batch in order, or nil when there is nothing more to do.
    func takeRaw() -> (Int, [RawRecord])? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && (rawHead == raw.count || ready.count + inFlight >= prefetch) {
            if rawHead == raw.count && readerDone { return nil }
            condition.wait()
        }
        if cancelled { return nil }
        let item = raw[rawHead]
        raw[rawHead].records = []
        rawHead += 1
        if rawHead > 64 && rawHead * 2 > raw.count {
            raw.removeFirst(rawHead)
            rawHead = 0
        }
        inFlight += 1
        condition.broadcast()
        return item
    }

    func deliver(_ sequence: Int, _ result: Result<Batch, DataError>) {
        condition.lock()
        ready[sequence] = result
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Consumer: the next batch in sequence order.
    func take() throws(DataError) -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = ready.removeValue(forKey: nextToDeliver) {
                nextToDeliver += 1
                condition.broadcast()
                return try result.get()
            }
            if readerDone && nextToDeliver >= produced {
                if let readerError { throw readerError }
                return nil
            }
            if cancelled { return nil }
            condition.wait()
        }
    }
}

/// The reader thread: interleave, shuffle, group into raw batches.
private func readRecords(paths: [String], options: ShardLoader.Options, state: LoaderState) {
    var rng = RecordKey("shuffle/epoch\(options.epoch)").generator(seed: options.seed)
    var order = Array(paths.indices)
    if options.training { order.shuffle(using: &rng) }
    let buffer = options.training ? options.shuffleBuffer : 0
    var pool: [RawRecord] = []
    pool.reserveCapacity(buffer)
    var batch: [RawRecord] = []
    var skipped = 0
    var open: [(shard: Int, reader: RecordReader)] = []
    var nextShard = 0
    var cursor = 0

    func emit(_ record: RawRecord) -> Bool {
        batch.append(record)
        guard batch.count == options.batchSize else { return true }
        defer { batch = [] }
        if skipped < options.skipBatches {
            skipped += 1
            return true
        }
        return state.put(batch)
    }

    do throws(DataError) {
        while true {
            while open.count < options.cycleLength && nextShard < order.count {
                let s = order[nextShard]
                nextShard += 1
                do {
                    open.append((s, try RecordReader(path: paths[s])))
                } catch {
                    throw DataError(path: paths[s], message: error.reason, underlying: error)
                }
            }
            if open.isEmpty { break }
            cursor %= open.count
            let s = open[cursor].shard
            let index = open[cursor].reader.recordIndex
            let bytes: [UInt8]?
            do {
                bytes = try open[cursor].reader.next()
            } catch {
                throw DataError(
                    path: paths[s], recordIndex: error.recordIndex ?? index, byteOffset: error.byteOffset,
                    message: error.reason, underlying: error)
            }
            guard let bytes else {
                open.remove(at: cursor)
                continue
            }
            cursor += 1
            let record = RawRecord(bytes: bytes, shard: s, index: index)
            if buffer <= 1 {
                if !emit(record) { return }
            } else if pool.count < buffer {
                pool.append(record)
            } else {
                let j = Int(rng.next() % UInt64(buffer))
                let out = pool[j]
                pool[j] = record
                if !emit(out) { return }
            }
            if state.cancelled { return }
        }
        while !pool.isEmpty {
            let j = Int(rng.next() % UInt64(pool.count))
            pool.swapAt(j, pool.count - 1)
            if !emit(pool.removeLast()) { return }
        }
        if !batch.isEmpty && !options.dropRemainder && skipped >= options.skipBatches {
            if !state.put(batch) { return }
        }
        state.finishReading(error: nil)
    } catch {
        state.finishReading(error: error)
    }
}

/// A decode thread: raw batches to tensors.
private func decodeBatches(
    paths: [String], spec: InputSpec, stored: ImageSpec, options: ShardLoader.Options, state: LoaderState
) {
    let preprocessor = Preprocessor(spec: spec, training: options.training, stored: stored)
    let per = preprocessor.floatsPerImage
    while let (sequence, records) = state.takeRaw() {
        var scalars = [Float](repeating: 0, count: records.count * per)
        var labels = [[Int32]](repeating: [], count: spec.headCount)
        var failure: DataError?
        scalars.withUnsafeMutableBufferPointer { out in
            for (i, record) in records.enumerated() {
                let key = UInt64(options.epoch) << 48 ^ UInt64(record.shard) << 32 ^ UInt64(record.index)
                var rng = RecordKey(key).generator(seed: options.seed)
                let problem = record.bytes.withUnsafeBytes { bytes -> DataError? in
                    do {
                        try preprocessor.process(
                            record: bytes, into: out.baseAddress! + i * per, labels: &labels, rng: &rng)
                        return nil
                    } catch {
                        return (error as? DataError) ?? DataError(path: "", message: "\(error)", underlying: error)
                    }
                }
                if let problem {
                    failure = problem.placed(path: paths[record.shard], recordIndex: record.index)
                    return
                }
            }
        }
        if let failure {
            state.deliver(sequence, .failure(failure))
        } else {
            let images = Tensor(shape: [records.count] + spec.inputShape, scalars: scalars)
            state.deliver(sequence, .success(Batch(images: images, labels: labels)))
        }
    }
}
