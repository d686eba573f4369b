// CPU feature detection and the SHARDKIT_ISA cap, decided once per process.
#include "shardkit_cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_PMULL
#define HWCAP_PMULL (1 << 4)
#endif
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

static shardkit_cpu_info info;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t detect_features(void) {
    uint32_t f = 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    // __builtin_cpu_supports also checks that the OS saves the AVX and AVX-512 registers.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) f |= SHARDKIT_CPU_SSE42;
    if (__builtin_cpu_supports("pclmul")) f |= SHARDKIT_CPU_PCLMULQDQ;
    if (__builtin_cpu_supports("avx2")) f |= SHARDKIT_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= SHARDKIT_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) f |= SHARDKIT_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) f |= SHARDKIT_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512dq")) f |= SHARDKIT_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl")) f |= SHARDKIT_CPU_AVX512VL;
    if (__builtin_cpu_supports("vpclmulqdq")) f |= SHARDKIT_CPU_VPCLMULQDQ;
    if (__builtin_cpu_supports("sha")) f |= SHARDKIT_CPU_SHA;
#elif defined(__aarch64__)
    unsigned long hw = getauxval(AT_HWCAP);
    if (hw & HWCAP_ASIMD) f |= SHARDKIT_CPU_ARM_NEON;
    if (hw & HWCAP_CRC32) f |= SHARDKIT_CPU_ARM_CRC32;
    if (hw & HWCAP_PMULL) f |= SHARDKIT_CPU_ARM_PMULL;
    if (hw & HWCAP_SHA2) f |= SHARDKIT_CPU_ARM_SHA2;
#endif
    return f;
}

static int has(uint32_t features, uint32_t wanted) { return (features & wanted) == wanted; }

static int best_tier(uint32_t f) {
    const uint32_t v3 = SHARDKIT_CPU_SSE42 | SHARDKIT_CPU_PCLMULQDQ | SHARDKIT_CPU_AVX2 | SHARDKIT_CPU_FMA;
    const uint32_t v4 = SHARDKIT_CPU_AVX512F | SHARDKIT_CPU_AVX512BW | SHARDKIT_CPU_AVX512DQ | SHARDKIT_CPU_AVX512VL;
    if (has(f, v3 | v4)) return SHARDKIT_TIER_AVX512;
    if (has(f, v3)) return SHARDKIT_TIER_AVX2;
    if (has(f, SHARDKIT_CPU_ARM_NEON | SHARDKIT_CPU_ARM_CRC32)) return SHARDKIT_TIER_ARMV8;
    return SHARDKIT_TIER_PORTABLE;
}

// Rank of a tier within this architecture's order, or -1 for another architecture's tier.
static int rank(int tier) {
    switch (tier) {
    case SHARDKIT_TIER_PORTABLE: return 0;
#if defined(__x86_64__)
    case SHARDKIT_TIER_AVX2: return 1;
    case SHARDKIT_TIER_AVX512: return 2;
#elif defined(__aarch64__)
    case SHARDKIT_TIER_ARMV8: return 1;
#endif
    default: return -1;
    }
}

static int tier_named(const char *name) {
    static const char *const names[] = {"portable", "avx2", "avx512", "armv8"};
    for (int t = 0; t < 4; t++)
        if (strcmp(name, names[t]) == 0) return t;
    return -1;
}

/// One core's L2 cache in bytes: glibc's sysconf (from CPUID on x86-64), else sysfs (what the
/// kernel read from the device tree or ACPI on arm64), else 0.
static long detect_l2_bytes(void) {
#ifdef _SC_LEVEL2_CACHE_SIZE
    long size = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (size > 0) return size;
#endif
    FILE *file = fopen("/sys/devices/system/cpu/cpu0/cache/index2/size", "r");
    if (file == NULL) return 0;
    long kib = 0;
    char unit = 0;
    int fields = fscanf(file, "%ld%c", &kib, &unit);
    fclose(file);
    if (fields < 1 || kib <= 0) return 0;
    return unit == 'M' ? kib << 20 : kib << 10;
}

static void decide(void) {
    long l2 = detect_l2_bytes();
    info.l2_bytes = l2 > 0 ? l2 : 512L << 10;
    info.features = detect_features();
    info.cpu_tier = best_tier(info.features);
    info.tier = info.cpu_tier;
    const char *cap = getenv("SHARDKIT_ISA");
    if (cap != NULL && *cap != 0) {
        int wanted = tier_named(cap);
        if (wanted < 0 || rank(wanted) < 0) {
            info.cap_ignored = 1;
            fprintf(stderr, "shardkit: SHARDKIT_ISA=%s names no kernel tier of this CPU's architecture; ignored\n",
                    cap);
        } else if (rank(wanted) < rank(info.tier)) {
            info.tier = wanted;
        }
    }
}

const shardkit_cpu_info *shardkit_cpu(void) {
    pthread_once(&once, decide);
    return &info;
}

int shardkit_cpu_tier_runnable(int tier) {
    int r = rank(tier);
    return r >= 0 && r <= rank(shardkit_cpu()->tier);
}

int shardkit_cpu_clamp_tier(int tier) {
    if (shardkit_cpu_tier_runnable(tier)) return tier;
    return shardkit_cpu()->tier;
}

const char *shardkit_cpu_tier_name(int tier) {
    switch (tier) {
    case SHARDKIT_TIER_PORTABLE: return "portable";
    case SHARDKIT_TIER_AVX2: return "avx2";
    case SHARDKIT_TIER_AVX512: return "avx512";
    case SHARDKIT_TIER_ARMV8: return "armv8";
    default: return "unknown";
    }
}
