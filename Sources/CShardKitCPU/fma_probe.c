// A loop of independent fused multiply-adds at a tier's vector width: what one core can do at
// most, for benchmarks that report a fraction of the CPU's FP32 peak.
#include "shardkit_cpu.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Enough independent chains to cover the FMA latency (4 cycles) on two FMA ports.
#define CHAINS 12

__attribute__((target("avx512f"))) static double probe_avx512(long iterations, float *sink) {
    __m512 acc[CHAINS];
    const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    for (long i = 0; i < iterations; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], m, a);
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    *sink = _mm512_reduce_add_ps(sum);
    return (double)iterations * CHAINS * 16 * 2;
}

__attribute__((target("avx2,fma"))) static double probe_avx2(long iterations, float *sink) {
    __m256 acc[CHAINS];
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    for (long i = 0; i < iterations; i++)
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
    __m256 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    *sink = lanes[0] + lanes[7];
    return (double)iterations * CHAINS * 8 * 2;
}
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

int shardkit_cpu_vector_lanes(int tier) {
    switch (tier) {
    case SHARDKIT_TIER_AVX512: return 16;
    case SHARDKIT_TIER_AVX2: return 8;
    case SHARDKIT_TIER_ARMV8: return 4;
    default: return 1;
    }
}
