// CRC-32C for ShardKit: a portable slicing-by-8 implementation and hardware implementations
// (x86-64 SSE4.2 `crc32` with three interleaved streams; aarch64 CRC extension), selected once.
//
// Notation: the "register" is the CRC state without the final inversion. The hardware instruction
// and the tables both update a register; `shardkit_crc32c_extend` inverts on the way in and out.
//
// Interleaving: the register after data A ++ B equals shift_|B|(reg after A) ^ (reg of B from 0),
// where shift_k multiplies the register by x^(8k) modulo the polynomial (appending k zero bytes).
// shift_k is linear over GF(2), so it is a 32x32 bit matrix; we fold it into four 256-entry tables
// (one per register byte) once at start-up, which makes each combine step four lookups.
#include "crc32c.h"

#include "shardkit_cpu.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#define POLY 0x82F63B78u

// Block sizes of the interleaved hardware loop: three streams of STRIDE_LONG bytes, then three of
// STRIDE_SHORT bytes for what is left, then a single stream.
#define STRIDE_LONG 8192
#define STRIDE_SHORT 256
// Buffers of at least STREAMING_MIN bytes are mostly not in cache: for them, three adjacent
// STRIDE_SHORT streams read memory in one sequential sweep that the hardware prefetcher follows
// (three streams 8 KiB apart defeat it in our measurements), helped by a software prefetch
// PREFETCH_AHEAD bytes ahead. Cached buffers keep the long blocks, whose combine cost is lower.
#define STREAMING_MIN (1 << 20)
#define PREFETCH_AHEAD 2304

static uint32_t table8[8][256];            // slicing-by-8
static uint32_t shift_long[4][256];        // register * x^(8*STRIDE_LONG)
static uint32_t shift_short[4][256];       // register * x^(8*STRIDE_SHORT)
static int use_hardware;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

// --- GF(2) 32x32 matrices: m[i] is the image of bit i. ---------------------------------------

static uint32_t matrix_apply(const uint32_t m[32], uint32_t v) {
    uint32_t out = 0;
    for (int i = 0; v != 0; i++, v >>= 1) {
        if (v & 1) out ^= m[i];
    }
    return out;
}

// out = a * b (apply b first, then a). `out` may not alias the inputs.
static void matrix_multiply(uint32_t out[32], const uint32_t a[32], const uint32_t b[32]) {
    for (int i = 0; i < 32; i++) out[i] = matrix_apply(a, b[i]);
}

// The operator that appends `bytes` zero bytes to a register.
static void zeros_operator(uint32_t op[32], size_t bytes) {
    uint32_t base[32], tmp[32];
    // One zero bit: shift right by one, xor POLY if the bit shifted out was set.
    base[0] = POLY;
    for (int i = 1; i < 32; i++) base[i] = 1u << (i - 1);
    // Square three times: one zero byte.
    for (int k = 0; k < 3; k++) {
        matrix_multiply(tmp, base, base);
        memcpy(base, tmp, sizeof tmp);
    }
    // op = base^bytes by binary exponentiation, starting from the identity.
    for (int i = 0; i < 32; i++) op[i] = 1u << i;
    while (bytes != 0) {
        if (bytes & 1) {
            matrix_multiply(tmp, base, op);
            memcpy(op, tmp, sizeof tmp);
        }
        bytes >>= 1;
        if (bytes != 0) {
            matrix_multiply(tmp, base, base);
            memcpy(base, tmp, sizeof tmp);
        }
    }
}

static void shift_tables(uint32_t table[4][256], size_t bytes) {
    uint32_t op[32];
    zeros_operator(op, bytes);
    for (int k = 0; k < 4; k++) {
        for (uint32_t v = 0; v < 256; v++) table[k][v] = matrix_apply(op, v << (8 * k));
    }
}

static inline uint32_t shift(const uint32_t table[4][256], uint32_t reg) {
    return table[0][reg & 0xff] ^ table[1][(reg >> 8) & 0xff] ^ table[2][(reg >> 16) & 0xff] ^
           table[3][reg >> 24];
}

static inline uint64_t load64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;  // little-endian hosts only (x86-64, aarch64 Linux)
}

// --- Portable: slicing-by-8. ------------------------------------------------------------------

static uint32_t portable_register(uint32_t reg, const unsigned char *p, size_t len) {
    while (len != 0 && ((uintptr_t)p & 7) != 0) {
        reg = table8[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t w = load64(p) ^ reg;
        reg = table8[7][w & 0xff] ^ table8[6][(w >> 8) & 0xff] ^ table8[5][(w >> 16) & 0xff] ^
              table8[4][(w >> 24) & 0xff] ^ table8[3][(w >> 32) & 0xff] ^ table8[2][(w >> 40) & 0xff] ^
              table8[1][(w >> 48) & 0xff] ^ table8[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len != 0) {
        reg = table8[0][(reg ^ *p++) & 0xff] ^ (reg >> 8);
        len--;
    }
    return reg;
}

// --- x86-64: SSE4.2, three streams. -----------------------------------------------------------

#if defined(__x86_64__)
/// CRC of the 3 × STRIDE_SHORT bytes at `p`, continuing from `reg`: three interleaved streams
/// (the instruction's latency is 3 cycles, its throughput 1), joined with the shift operator.
__attribute__((target("sse4.2"))) static inline uint64_t three_short_streams(uint64_t reg, const unsigned char *p) {
    uint64_t a = reg, b = 0, c = 0;
    const unsigned char *end = p + STRIDE_SHORT;
    do {
        a = _mm_crc32_u64(a, load64(p));
        b = _mm_crc32_u64(b, load64(p + STRIDE_SHORT));
        c = _mm_crc32_u64(c, load64(p + 2 * STRIDE_SHORT));
        p += 8;
    } while (p < end);
    uint64_t joined = shift(shift_short, (uint32_t)a) ^ (uint32_t)b;
    return shift(shift_short, (uint32_t)joined) ^ (uint32_t)c;
}

__attribute__((target("sse4.2"))) static uint32_t hardware_register(uint32_t reg32, const unsigned char *p,
                                                                     size_t len) {
    uint64_t reg = reg32;
    while (len != 0 && ((uintptr_t)p & 7) != 0) {
        reg = _mm_crc32_u8((uint32_t)reg, *p++);
        len--;
    }
    if (len >= STREAMING_MIN) {
        while (len >= 3 * STRIDE_SHORT + PREFETCH_AHEAD) {
            __builtin_prefetch(p + PREFETCH_AHEAD);
            __builtin_prefetch(p + PREFETCH_AHEAD + STRIDE_SHORT);
            __builtin_prefetch(p + PREFETCH_AHEAD + 2 * STRIDE_SHORT);
            reg = three_short_streams(reg, p);
            p += 3 * STRIDE_SHORT;
            len -= 3 * STRIDE_SHORT;
        }
    }
    while (len >= 3 * STRIDE_LONG) {
        uint64_t a = reg, b = 0, c = 0;
        const unsigned char *end = p + STRIDE_LONG;
        do {
            a = _mm_crc32_u64(a, load64(p));
            b = _mm_crc32_u64(b, load64(p + STRIDE_LONG));
            c = _mm_crc32_u64(c, load64(p + 2 * STRIDE_LONG));
            a = _mm_crc32_u64(a, load64(p + 8));
            b = _mm_crc32_u64(b, load64(p + STRIDE_LONG + 8));
            c = _mm_crc32_u64(c, load64(p + 2 * STRIDE_LONG + 8));
            p += 16;
        } while (p < end);
        reg = shift(shift_long, (uint32_t)a) ^ (uint32_t)b;
        reg = shift(shift_long, (uint32_t)reg) ^ (uint32_t)c;
        p += 2 * STRIDE_LONG;
        len -= 3 * STRIDE_LONG;
    }
    while (len >= 3 * STRIDE_SHORT) {
        reg = three_short_streams(reg, p);
        p += 3 * STRIDE_SHORT;
        len -= 3 * STRIDE_SHORT;
    }
    while (len >= 8) {
        reg = _mm_crc32_u64(reg, load64(p));
        p += 8;
        len -= 8;
    }
    while (len != 0) {
        reg = _mm_crc32_u8((uint32_t)reg, *p++);
        len--;
    }
    return (uint32_t)reg;
}

static int detect_hardware(void) { return shardkit_cpu_tier_runnable(SHARDKIT_TIER_AVX2); }
#endif

// --- aarch64: ARMv8 CRC extension, one stream. -----------------------------------------------

#if defined(__aarch64__)
__attribute__((target("crc"))) static uint32_t hardware_register(uint32_t reg, const unsigned char *p,
                                                                  size_t len) {
    while (len != 0 && ((uintptr_t)p & 7) != 0) {
        reg = __crc32cb(reg, *p++);
        len--;
    }
    while (len >= 8) {
        reg = __crc32cd(reg, load64(p));
        p += 8;
        len -= 8;
    }
    while (len != 0) {
        reg = __crc32cb(reg, *p++);
        len--;
    }
    return reg;
}

static int detect_hardware(void) { return shardkit_cpu_tier_runnable(SHARDKIT_TIER_ARMV8); }
#endif

// --- Set-up and entry points. -----------------------------------------------------------------

static void initialize(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t reg = n;
        for (int k = 0; k < 8; k++) reg = (reg & 1) ? (reg >> 1) ^ POLY : reg >> 1;
        table8[0][n] = reg;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int k = 1; k < 8; k++) table8[k][n] = (table8[k - 1][n] >> 8) ^ table8[0][table8[k - 1][n] & 0xff];
    }
    shift_tables(shift_long, STRIDE_LONG);
    shift_tables(shift_short, STRIDE_SHORT);
#if defined(__x86_64__) || defined(__aarch64__)
    use_hardware = detect_hardware();
#else
    use_hardware = 0;
#endif
}

static inline void ensure_initialized(void) { pthread_once(&init_once, initialize); }

uint32_t shardkit_crc32c_extend_portable(uint32_t crc, const void *data, size_t len) {
    ensure_initialized();
    return ~portable_register(~crc, (const unsigned char *)data, len);
}

uint32_t shardkit_crc32c_extend(uint32_t crc, const void *data, size_t len) {
    ensure_initialized();
#if defined(__x86_64__) || defined(__aarch64__)
    if (use_hardware) return ~hardware_register(~crc, (const unsigned char *)data, len);
#endif
    return ~portable_register(~crc, (const unsigned char *)data, len);
}

int shardkit_crc32c_hardware_available(void) {
    ensure_initialized();
    return use_hardware;
}

const char *shardkit_crc32c_kernel_name(void) {
    ensure_initialized();
#if defined(__x86_64__)
    if (use_hardware) return "sse4.2 crc32, 3 streams";
#elif defined(__aarch64__)
    if (use_hardware) return "armv8 crc32c";
#endif
    return "slicing-by-8";
}
