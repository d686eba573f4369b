#pragma once
// The one place that decides which kernels run on this CPU. Every C kernel with more than one
// implementation (CRC-32C, the GEMM) asks `shardkit_cpu()` which tier is in force, and the Swift
// side reads the same answer through ShardKitSupport's `CPUFeatures`. Nothing else tests CPU
// features, so no code path can run an instruction set the CPU (or the user's cap) rules out.
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel tiers. Each architecture orders its own tiers; a tier of another architecture is
/// never runnable.
///
/// - `SHARDKIT_TIER_PORTABLE`: plain C (and OpenBLAS for the trainer), any CPU.
/// - `SHARDKIT_TIER_AVX2`: x86-64 with AVX2, FMA, SSE4.2 and PCLMULQDQ (x86-64-v3).
/// - `SHARDKIT_TIER_AVX512`: x86-64 with AVX-512 F, BW, DQ and VL as well (x86-64-v4).
/// - `SHARDKIT_TIER_ARMV8`: aarch64 with NEON and the CRC32 extension.
enum {
    SHARDKIT_TIER_PORTABLE = 0,
    SHARDKIT_TIER_AVX2 = 1,
    SHARDKIT_TIER_AVX512 = 2,
    SHARDKIT_TIER_ARMV8 = 3,
};

/// CPU features the kernels care about, as bits of `shardkit_cpu_info.features`.
enum {
    SHARDKIT_CPU_SSE42 = 1 << 0,
    SHARDKIT_CPU_PCLMULQDQ = 1 << 1,
    SHARDKIT_CPU_AVX2 = 1 << 2,
    SHARDKIT_CPU_FMA = 1 << 3,
    SHARDKIT_CPU_AVX512F = 1 << 4,
    SHARDKIT_CPU_AVX512BW = 1 << 5,
    SHARDKIT_CPU_AVX512DQ = 1 << 6,
    SHARDKIT_CPU_AVX512VL = 1 << 7,
    SHARDKIT_CPU_VPCLMULQDQ = 1 << 8,
    SHARDKIT_CPU_SHA = 1 << 9,
    SHARDKIT_CPU_ARM_NEON = 1 << 16,
    SHARDKIT_CPU_ARM_CRC32 = 1 << 17,
    SHARDKIT_CPU_ARM_PMULL = 1 << 18,
    SHARDKIT_CPU_ARM_SHA2 = 1 << 19,
};

typedef struct {
    /// The best tier this CPU can run.
    int cpu_tier;
    /// The tier in force: `cpu_tier`, lowered by the environment variable SHARDKIT_ISA when it
    /// names a lower tier of this architecture (it can never raise it).
    int tier;
    /// `SHARDKIT_CPU_*` bits.
    uint32_t features;
    /// 1 when SHARDKIT_ISA was set but named no tier of this architecture (it is then ignored).
    int cap_ignored;
    /// The size of one core's level-2 cache in bytes, as the C library or sysfs reports it, or
    /// 512 KiB when neither knows. The GEMM sizes its blocks of B from it.
    long l2_bytes;
} shardkit_cpu_info;

/// The CPU's features and the tier in force, worked out once (thread-safe) on first use.
const shardkit_cpu_info *shardkit_cpu(void);

/// 1 when code of `tier` may run in this process: a tier of this architecture at or below the
/// tier in force. Kernels clamp any other request down to the tier in force.
int shardkit_cpu_tier_runnable(int tier);

/// The tier of this architecture that is runnable and closest to `tier` from below.
int shardkit_cpu_clamp_tier(int tier);

/// "portable", "avx2", "avx512" or "armv8".
const char *shardkit_cpu_tier_name(int tier);

/// Runs `iterations` rounds of independent FP32 fused multiply-adds with `tier`'s vectors (clamped
/// to the tier in force) on the calling thread and returns the floating-point operations done
/// (2 per lane per FMA); 0 where the tier has no probe (portable, armv8). For benchmarks.
double shardkit_cpu_fma_probe(int tier, long iterations);

/// Makes the calling thread flush denormal floats to zero, as inputs and as results (x86: the
/// MXCSR's DAZ and FTZ bits; aarch64: FPCR.FZ), as TensorFlow does in its compute threads. On x86
/// every operation on a denormal takes a microcode assist of about a hundred cycles, and training
/// makes many of them once gradients get small.
void shardkit_cpu_flush_denormals(void);

/// FP32 lanes in one vector register of `tier` (16 for avx512, 8 for avx2, 4 for armv8, else 1).
int shardkit_cpu_vector_lanes(int tier);

#ifdef __cplusplus
}
#endif
