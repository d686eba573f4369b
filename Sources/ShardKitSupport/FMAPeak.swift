internal import CShardKitCPU
internal import Foundation

/// The CPU's FP32 fused multiply-add peak at a kernel tier, for benchmarks that report what
/// fraction of the hardware a workload uses.
///
/// Two estimates: from the clock (`cpu MHz` in /proc/cpuinfo) times the FMA units times the
/// lanes, where the number of FMA units per core is read off a measured single-thread loop; and
/// the measured rate of independent FMAs on every thread at once (which also catches turbo
/// clocks and hyperthreads that share units). `flops` is the larger of the two, so a fraction of
/// it is never flattering.
public struct FMAPeak: Sendable {
    public let tier: KernelTier
    public let threads: Int
    public let clockHz: Double?
    public let fmaUnitsPerCore: Int
    public let lanes: Int
    /// Cores × clock × units × lanes × 2, when the clock is known.
    public let clockBasedFLOPS: Double?
    /// Independent FMAs on `threads` threads at once.
    public let measuredFLOPS: Double

    /// The peak used for ratios: the larger estimate.
    public var flops: Double { max(clockBasedFLOPS ?? 0, measuredFLOPS) }

    /// Measures the peak of `tier` (clamped to the tier in force) on `threads` threads.
    public static func measure(tier: KernelTier, threads: Int) -> FMAPeak {
        let tier = KernelTier(rawValue: Int32(shardkit_cpu_clamp_tier(tier.rawValue))) ?? .portable
        let lanes = Int(shardkit_cpu_vector_lanes(tier.rawValue))
        let clock = cpuClockHz()
        let iterations = 50_000_000
        // One thread: FLOPs per cycle tells the FMA units (each gives 2·lanes FLOPs per cycle).
        // The best of three runs, so that a busy moment on the machine does not hide a unit.
        let single = (0..<3).map { _ in rate(tier: tier, iterations: iterations, threads: 1) }.max()!
        // Rounded down: under FMA load the cores run above the nominal clock (turbo), which
        // inflates the measured FLOPs per nominal cycle (2.4–2.9 for two units here), never deflates it.
        var units = 1
        if let clock, lanes > 1 { units = max(1, Int((single / clock / Double(2 * lanes)) + 0.05)) }
        let all = (0..<3).map { _ in rate(tier: tier, iterations: iterations, threads: threads) }.max()!
        let clockBased = clock.map { Double(threads) * $0 * Double(units * lanes * 2) }
        return FMAPeak(
            tier: tier, threads: threads, clockHz: clock, fmaUnitsPerCore: units, lanes: lanes,
            clockBasedFLOPS: lanes > 1 ? clockBased : nil, measuredFLOPS: all)
    }

    private static func rate(tier: KernelTier, iterations: Int, threads: Int) -> Double {
        let flops = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
        defer { flops.deallocate() }
        // Each thread writes only its own slot.
        nonisolated(unsafe) let slots = flops
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            slots[t] = shardkit_cpu_fma_probe(tier.rawValue, iterations)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return flops.reduce(0, +) / seconds
    }

    /// The first `cpu MHz` of /proc/cpuinfo, in Hz.
    private static func cpuClockHz() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            if let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
                return value * 1e6
            }
        }
        return nil
    }
}
