internal import ShardKitSupport
import Shards
import Dispatch
import Foundation
import Examples

/// The one engine every writing command runs its records through (convert, synth, generate):
/// the per-record work on `jobs` threads, the output in exactly the reading order, so the bytes
/// written never depend on the number of jobs.
///
/// An `Item` is what the reading side hands over (a `PendingRecord` for convert, a record
/// number for synth and generate); `makeEncoder` gives each chunk's worker its encoding function
/// (which may hold per-worker state, such as an augmentation engine); `describe` says which
/// split an item goes to and which group (shard) its schema counts towards.
///
/// The calling thread reads records into chunks (`chunkSize` records) grouped in windows of
/// `2 × jobs` to `4 × jobs` chunks (about 8 MiB of encoded records once their size is known). A
/// window is encoded by `jobs` workers (`DispatchQueue.concurrentPerform`, each claiming the next
/// chunk not yet taken) into one buffer per chunk, while the calling thread
/// reads the next window, and then writes the encoded records, in order, while the workers
/// encode the window read meanwhile. At most two windows are in memory at any time (one being
/// read or written, one encoding), whatever the input's size.
struct OrderedEncoder<Item: Sendable> {
    /// Appends one item's serialized record to the buffer, adding what it holds to the schema.
    typealias Encode = (Item, inout [UInt8], inout SchemaAccumulator) throws(DatasetError) -> Void

    var jobs: Int
    var chunkSize = 256
    /// One encoding function per chunk, made on the worker that encodes the chunk.
    var makeEncoder: @Sendable () -> Encode
    /// The item's split (index in the writer's split list) and schema group.
    var describe: @Sendable (Item) -> (split: Int, group: Int)

    /// One chunk's output: the records' serialized bytes back to back, their end offsets and
    /// splits, and the schema of its Examples per group of records (`PendingRecord.group`:
    /// the shard a record goes to, when shards are known up front).
    struct EncodedChunk: Sendable {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var splits: [Int] = []
        var schemas: [(group: Int, schema: SchemaAccumulator)] = []
    }

    /// Result slots for one window. `@unchecked Sendable` is safe here: each slot is written by
    /// exactly one worker (the one that claimed chunk i), and the slots are read only
    /// after `DispatchGroup.wait()`, which orders those writes before the reads.
    private final class Slots: @unchecked Sendable {
        var results: [Result<EncodedChunk, DatasetError>?]
        init(count: Int) { results = Array(repeating: nil, count: count) }
    }

    /// The next unclaimed chunk of a window, for whichever worker asks first.
    private final class ChunkClaims: @unchecked Sendable {
        private let lock = NSLock()
        private var nextIndex = 0
        private let count: Int
        init(count: Int) { self.count = count }

        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard nextIndex < count else { return nil }
            nextIndex += 1
            return nextIndex - 1
        }
    }

    /// Chunk buffers whose records are written, for the next chunks to encode into. A chunk's
    /// buffer is about a megabyte for synth's strings; freed and allocated afresh every window,
    /// each would be a new mapping under `HeapPolicy`'s fixed mmap threshold, its pages faulted in
    /// and zeroed again (a third more CPU for synth). At most the chunks of two windows are ever
    /// in flight, so the pool holds at most that many buffers.
    private final class BufferPool: @unchecked Sendable {
        private let lock = NSLock()
        private var buffers: [[UInt8]] = []

        /// An empty buffer, with the capacity of one written before when there is one.
        func take() -> [UInt8] {
            lock.lock()
            defer { lock.unlock() }
            return buffers.popLast() ?? []
        }

        /// Keeps `buffer`'s storage for a later `take`, leaving `buffer` empty.
        func give(_ buffer: inout [UInt8]) {
            buffer.removeAll(keepingCapacity: true)
            lock.lock()
            buffers.append(buffer)
            lock.unlock()
            buffer = []
        }
    }

    private struct Window {
        var slots: Slots
        var group: DispatchGroup
        var count: Int
    }

    /// Reads with `next` until it returns nil, encodes, and hands each record to `write` in
    /// reading order with its split index; `observe` gets the schema of each group's records
    /// before any of them is written; `progress` is told how many records were written.
    func run(
        next: () throws(DatasetError) -> Item?,
        write: (Int, UnsafeRawBufferPointer) throws(DatasetError) -> Void,
        observe: (_ group: Int, SchemaAccumulator) -> Void,
        progress: (Int) -> Void
    ) throws(DatasetError) {
        let jobs = max(1, self.jobs)
        let pool = BufferPool()
        if jobs == 1 && AvailableCPUs.count == 1 {
            return try runInline(next: next, write: write, observe: observe, progress: progress, pool: pool)
        }
        var pending: Window?
        var ended = false
        // Chunks per window: 2 × jobs at first, then as many as keep a window's encoded bytes
        // near `windowBytes` (at most 4 × jobs). Each window ends at a barrier where the workers
        // wait for the slowest, so small records (synth's strings, MNIST's PNGs) want more chunks
        // a window; large ones (SVHN's 12 KiB crops) keep two windows' bytes bounded.
        var chunksPerWindow = 2 * jobs
        // A read error ends the input like a clean end, but is thrown only after every record
        // read before it was encoded and written: an encoding error of an earlier record wins,
        // whatever the window size (and so whatever the number of jobs).
        var readError: DatasetError?
        // Whatever happens, do not leave workers writing into a window nobody waits for.
        defer { pending?.group.wait() }
        while true {
            var chunks: [[Item]] = []
            if !ended {
                var chunk: [Item] = []
                chunk.reserveCapacity(chunkSize)
                do throws(DatasetError) {
                    while chunks.count < chunksPerWindow {
                        guard let record = try next() else {
                            ended = true
                            break
                        }
                        chunk.append(record)
                        if chunk.count == chunkSize {
                            chunks.append(chunk)
                            chunk = []
                            chunk.reserveCapacity(chunkSize)
                        }
                    }
                } catch {
                    readError = error
                    ended = true
                }
                if !chunk.isEmpty { chunks.append(chunk) }
            }
            // Once the window encoded meanwhile is done, start the workers on the one just read
            // and write the finished one while they work: one window encodes at a time.
            let finished = pending
            finished?.group.wait()
            pending = chunks.isEmpty ? nil : start(chunks, jobs: jobs, pool: pool)
            if let finished {
                let encodedBytes = try drain(finished, write: write, observe: observe, progress: progress, pool: pool)
                if finished.count > 0 && encodedBytes > 0 {
                    let perChunk = max(1, encodedBytes / finished.count)
                    chunksPerWindow = min(4 * jobs, max(2 * jobs, Self.windowBytes / perChunk))
                }
            }
            if pending == nil { break }
        }
        if let readError { throw readError }
    }

    /// One job on one CPU: the calling thread reads a chunk, encodes it and writes it, with no
    /// second thread. A worker given one CPU (a Slurm array task with `--cpus-per-task=1`, a pod
    /// with a one-core limit: `AvailableCPUs`) then runs one thread on it instead of two taking
    /// turns, and the chunk is written while its bytes are still in cache. With a CPU to spare,
    /// one job is one encoding worker while the calling thread reads and writes beside it, as
    /// with more jobs. Chunks, encoders and the order of errors are those of the threaded path,
    /// so the bytes are the same.
    private func runInline(
        next: () throws(DatasetError) -> Item?,
        write: (Int, UnsafeRawBufferPointer) throws(DatasetError) -> Void,
        observe: (_ group: Int, SchemaAccumulator) -> Void,
        progress: (Int) -> Void, pool: BufferPool
    ) throws(DatasetError) {
        var chunk: [Item] = []
        chunk.reserveCapacity(chunkSize)
        var readError: DatasetError?
        var ended = false
        while !ended {
            chunk.removeAll(keepingCapacity: true)
            do throws(DatasetError) {
                while chunk.count < chunkSize {
                    guard let record = try next() else {
                        ended = true
                        break
                    }
                    chunk.append(record)
                }
            } catch {
                readError = error
                ended = true
            }
            if chunk.isEmpty { break }
            let slots = Slots(count: 1)
            slots.results[0] = Self.encode(chunk, pool: pool, encode: makeEncoder(), describe: describe)
            try drain(Window(slots: slots, group: DispatchGroup(), count: 1),
                      write: write, observe: observe, progress: progress, pool: pool)
        }
        if let readError { throw readError }
    }

    private func start(_ chunks: [[Item]], jobs: Int, pool: BufferPool) -> Window {
        let slots = Slots(count: chunks.count)
        let group = DispatchGroup()
        let (makeEncoder, describe) = (self.makeEncoder, self.describe)
        let workers = min(jobs, chunks.count)
        // Chunks are claimed one at a time rather than dealt out in turn: a worker that the
        // calling thread (reading and writing meanwhile) or another process delays no longer
        // leaves its share undone while the other workers wait at the end of the window. Each
        // chunk still has its own slot, so the order written does not depend on who encoded it.
        let claims = ChunkClaims(count: chunks.count)
        group.enter()
        DispatchQueue.global().async {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let i = claims.next() {
                    slots.results[i] = Self.encode(chunks[i], pool: pool, encode: makeEncoder(), describe: describe)
                }
            }
            group.leave()
        }
        return Window(slots: slots, group: group, count: chunks.count)
    }

    private static func encode(
        _ chunk: [Item], pool: BufferPool, encode: Encode, describe: (Item) -> (split: Int, group: Int)
    ) -> Result<EncodedChunk, DatasetError> {
        var out = EncodedChunk()
        out.bytes = pool.take()  // held once, so appending reuses its storage
        out.ends.reserveCapacity(chunk.count)
        out.splits.reserveCapacity(chunk.count)
        var group = chunk.first.map { describe($0).group } ?? 0
        var schema = SchemaAccumulator()
        for item in chunk {
            let (split, itemGroup) = describe(item)
            if itemGroup != group {
                out.schemas.append((group, schema))
                (group, schema) = (itemGroup, SchemaAccumulator())
            }
            do {
                try encode(item, &out.bytes, &schema)
            } catch {
                return .failure(error)
            }
            out.ends.append(out.bytes.count)
            out.splits.append(split)
            // Size the chunk's buffer from its first record rather than growing it by doubling,
            // which copies everything encoded so far each time.
            if out.ends.count == 1 { out.bytes.reserveCapacity(out.bytes.count * chunk.count * 9 / 8) }
        }
        out.schemas.append((group, schema))
        return .success(out)
    }

    /// The encoded bytes a window aims at once record sizes are known (see `run`).
    static var windowBytes: Int { 8 << 20 }

    /// Writes a window's records in order; returns how many encoded bytes it held.
    @discardableResult
    private func drain(
        _ window: Window, write: (Int, UnsafeRawBufferPointer) throws(DatasetError) -> Void,
        observe: (Int, SchemaAccumulator) -> Void, progress: (Int) -> Void, pool: BufferPool
    ) throws(DatasetError) -> Int {
        var total = 0
        for i in 0..<window.count {
            var chunk: EncodedChunk
            switch window.slots.results[i]! {
            case .success(let c): chunk = c
            case .failure(let error): throw error
            }
            // The slot lets go of the chunk, so that its buffer goes back to the pool unshared.
            window.slots.results[i] = nil
            // Before the records: a shard may complete (and its receipt be written) among them.
            for (group, schema) in chunk.schemas { observe(group, schema) }
            var failure: DatasetError?
            chunk.bytes.withUnsafeBytes { all in
                var start = 0
                for (k, end) in chunk.ends.enumerated() {
                    do throws(DatasetError) {
                        try write(chunk.splits[k], UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    } catch {
                        failure = error
                        return
                    }
                    start = end
                }
            }
            if let failure { throw failure }
            progress(chunk.ends.count)
            total += chunk.bytes.count
            pool.give(&chunk.bytes)
        }
        return total
    }
}
