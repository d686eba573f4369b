internal import CShardKitCPU

/// A family of kernels that one CPU can run: every kernel with more than one implementation picks
/// its implementation from the tier in force, and from nothing else.
public enum KernelTier: Int32, CaseIterable, Sendable, CustomStringConvertible {
    /// Plain C (and OpenBLAS in the trainer): any CPU.
    case portable = 0
    /// x86-64 with AVX2, FMA, SSE4.2 and PCLMULQDQ.
    case avx2 = 1
    /// x86-64 with AVX-512 F, BW, DQ and VL besides.
    case avx512 = 2
    /// aarch64 with NEON and the CRC32 extension.
    case armv8 = 3

    /// The name `SHARDKIT_ISA` takes: "portable", "avx2", "avx512" or "armv8".
    public var description: String { String(cString: shardkit_cpu_tier_name(rawValue)) }
}

/// What this CPU offers, and which kernel tier is in force: decided once per process by the C
/// module CShardKitCPU, which every C kernel also asks. Set the environment variable
/// `SHARDKIT_ISA` to a lower tier to make the process run that tier's kernels; it never raises
/// the tier above what the CPU can run.
public enum CPUFeatures {
    /// The tier whose kernels run in this process.
    public static var tier: KernelTier { KernelTier(rawValue: Int32(shardkit_cpu().pointee.tier)) ?? .portable }

    /// The best tier the CPU itself can run, whatever `SHARDKIT_ISA` says.
    public static var cpuTier: KernelTier {
        KernelTier(rawValue: Int32(shardkit_cpu().pointee.cpu_tier)) ?? .portable
    }

    /// Whether `tier`'s kernels may run here: a tier of this architecture at or below `tier`.
    public static func runs(_ tier: KernelTier) -> Bool { shardkit_cpu_tier_runnable(tier.rawValue) != 0 }

    /// This architecture's tiers, lowest first.
    public static var tiersOfThisArchitecture: [KernelTier] {
        #if arch(x86_64)
            [.portable, .avx2, .avx512]
        #elseif arch(arm64)
            [.portable, .armv8]
        #else
            [.portable]
        #endif
    }

    /// Why `tier`'s kernels cannot run here, for Swift Testing's `.enabled(if:)` comment.
    public static func whyNot(_ tier: KernelTier) -> String {
        let order = tiersOfThisArchitecture
        guard let wanted = order.firstIndex(of: tier) else { return "\(tier) kernels are for another architecture" }
        if runs(tier) { return "\(tier) kernels run here" }
        if wanted <= order.firstIndex(of: cpuTier)! { return "SHARDKIT_ISA caps this process at \(Self.tier)" }
        return "this CPU cannot run \(tier) kernels (its best tier is \(cpuTier))"
    }

    /// Whether the CPU has SHA-256 instructions (x86 SHA extensions or the ARMv8 SHA2 extension);
    /// OpenSSL decides on its own whether to use them.
    public static var hasSHAInstructions: Bool {
        let f = shardkit_cpu().pointee.features
        return f & UInt32(SHARDKIT_CPU_SHA) != 0 || f & UInt32(SHARDKIT_CPU_ARM_SHA2) != 0
    }

    /// Whether the CPU has VPCLMULQDQ (carry-less multiplies on AVX-512 registers).
    public static var hasVPCLMULQDQ: Bool { shardkit_cpu().pointee.features & UInt32(SHARDKIT_CPU_VPCLMULQDQ) != 0 }

    /// Makes the calling thread flush denormal floats to zero (`shardkit_cpu_flush_denormals`):
    /// the trainer's compute threads run this way, as TensorFlow's do.
    public static func flushDenormalsOnThisThread() { shardkit_cpu_flush_denormals() }

    /// One core's level-2 cache in bytes (512 KiB when the system does not say); the GEMM sizes
    /// its blocks from it.
    public static var l2CacheBytes: Int { shardkit_cpu().pointee.l2_bytes }

    /// True when `SHARDKIT_ISA` was set to a name that is no tier of this architecture.
    public static var capIgnored: Bool { shardkit_cpu().pointee.cap_ignored != 0 }
}
