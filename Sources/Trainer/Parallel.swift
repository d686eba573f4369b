import Dispatch
internal import ShardKitSupport

/// The trainer's own data parallelism: work is split into a few contiguous parts (one per
/// thread) and OpenBLAS runs single-threaded inside each part. One hand-off per layer costs far
/// less than OpenBLAS's per-call thread synchronisation, and it parallelises the non-GEMM work
/// (im2col, col2im, pooling, masks) too.
enum Workers {
    /// Threads used by layers (set through `Model.setThreadCount`).
    nonisolated(unsafe) static var count = 1

    /// Runs `body(part)` for every part in `0..<parts`, concurrently when `parts > 1`, each on a
    /// thread that flushes denormal floats to zero (they would cost a microcode assist each).
    static func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            CPUFeatures.flushDenormalsOnThisThread()
            body(0)
        } else {
            // The parts touch disjoint memory (callers guarantee it), so handing the closure
            // to other threads is safe even though the compiler cannot prove it.
            withoutActuallyEscaping(body) { work in
                let box = UncheckedBox(work)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    CPUFeatures.flushDenormalsOnThisThread()
                    box.value(part)
                }
            }
        }
    }

    private struct UncheckedBox: @unchecked Sendable {
        let value: (Int) -> Void
        init(_ value: @escaping (Int) -> Void) { self.value = value }
    }

    /// The number of parts for `items` independent items, given at least `minimum` per part.
    static func parts(for items: Int, minimum: Int = 1) -> Int {
        max(1, min(count, items / max(1, minimum)))
    }

    /// Part `part` of `0..<n` split into `parts` contiguous, nearly equal ranges.
    static func range(_ n: Int, parts: Int, part: Int) -> Range<Int> {
        (n * part / parts)..<(n * (part + 1) / parts)
    }
}

/// Float scratch memory owned by a layer, grown on demand and reused across steps. It starts on
/// a 64-byte boundary: the GEMM's vector loads of an aligned B operand never span two cache
/// lines, and it need not copy the operand to align it (see gemm_kernels.c).
final class Scratch {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init() {
        capacity = 0
        pointer = Scratch.allocate(1)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// At least `count` floats (contents unspecified).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            UnsafeMutableRawPointer(pointer).deallocate()
            pointer = Scratch.allocate(count)
            capacity = count
        }
        return pointer
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A fixed table of offsets (for `gemmGathered`), rebuilt in place when its contents change.
/// Workers read it through `pointer` while no one writes it.
final class OffsetTable {
    private(set) var pointer: UnsafeMutablePointer<Int> = .allocate(capacity: 1)
    private(set) var count = 0

    /// Replaces the contents with `values`.
    func set(_ values: [Int]) {
        if values.count > count {
            pointer.deallocate()
            pointer = .allocate(capacity: values.count)
        }
        count = values.count
        pointer.update(from: values, count: values.count)
    }

    deinit { pointer.deallocate() }
}
