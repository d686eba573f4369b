// A loop of independent fused multiply-adds at a tier's vector width: what one core can do at
// most, for benchmarks that report a fraction of the CPU's FP32 peak.
#include "shardkit_cpu.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Enough independent chains to cover the FMA latency (4 cycles) on two FMA ports.
#define CHAINS 12

// One probe per vector width: CHAINS accumulators, each `acc = acc * m + a` per iteration, summed
// at the end into *sink so the compiler keeps the work. Returns the FLOPs done.
#define DEFINE_PROBE(NAME, TARGET, VECTOR, LANES, SET1, FMADD, ADD, STORE)                      \
    __attribute__((target(TARGET))) static double NAME(long iterations, float *sink) {          \
        VECTOR acc[CHAINS];                                                                     \
        const VECTOR m = SET1(0.999999f), a = SET1(1e-7f);                                      \
        for (int c = 0; c < CHAINS; c++) acc[c] = SET1((float)c);                               \
        for (long i = 0; i < iterations; i++)                                                   \
            for (int c = 0; c < CHAINS; c++) acc[c] = FMADD(acc[c], m, a);                      \
        for (int c = 1; c < CHAINS; c++) acc[0] = ADD(acc[0], acc[c]);                          \
        float lanes[LANES];                                                                     \
        STORE(lanes, acc[0]);                                                                   \
        *sink = lanes[0] + lanes[LANES - 1];                                                    \
        return (double)iterations * CHAINS * LANES * 2;                                         \
    }

DEFINE_PROBE(probe_avx512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps)
DEFINE_PROBE(probe_avx2, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps)
#endif

double shardkit_cpu_fma_probe(int tier, long iterations) {
    volatile float sink_out;
    float sink = 0;
    double flops = 0;
    tier = shardkit_cpu_clamp_tier(tier);
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (tier == SHARDKIT_TIER_AVX512) flops = probe_avx512(iterations, &sink);
    else if (tier == SHARDKIT_TIER_AVX2) flops = probe_avx2(iterations, &sink);
#endif
    sink_out = sink;
    (void)sink_out;
    return flops;
}

void shardkit_cpu_flush_denormals(void) {
#if defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() | 0x8040);  // FTZ (bit 15) and DAZ (bit 6)
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1ull << 24)));  // FZ
#endif
}

int shardkit_cpu_vector_lanes(int tier) {
    switch (tier) {
    case SHARDKIT_TIER_AVX512: return 16;
    case SHARDKIT_TIER_AVX2: return 8;
    case SHARDKIT_TIER_ARMV8: return 4;
    default: return 1;
    }
}
