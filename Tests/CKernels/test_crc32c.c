// CRC-32C (Sources/CShardKitCRC32C) against a bitwise reference written from the definition: reflected
// polynomial 0x82F63B78, register preset to all ones, result inverted.
#include "ck.h"
#include "crc32c.h"
#include "shardkit_cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLY 0x82F63B78u

// The register after `n` bytes, one bit at a time.
static uint32_t bitwise_register(uint32_t reg, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        reg ^= p[i];
        for (int bit = 0; bit < 8; bit++) reg = (reg >> 1) ^ (POLY & (0u - (reg & 1u)));
    }
    return reg;
}

static uint32_t reference(uint32_t crc, const void *data, size_t n) {
    return ~bitwise_register(~crc, (const uint8_t *)data, n);
}

// A byte-at-a-time version for the multi-megabyte inputs, its table made by the bitwise code (and
// checked against it below).
static uint32_t byte_table[256];

static uint32_t bytewise_register(uint32_t reg, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) reg = (reg >> 8) ^ byte_table[(reg ^ p[i]) & 0xff];
    return reg;
}

static uint32_t reference_fast(uint32_t crc, const void *data, size_t n) {
    return ~bytewise_register(~crc, (const uint8_t *)data, n);
}

// ---- The implementations under test, as (crc, data, len) functions.

static int forced_tier;

static uint32_t via_tier(uint32_t crc, const void *data, size_t len) { return shardkit_crc32c_extend_tier(forced_tier, crc, data, len); }

typedef struct {
    const char *name;
    uint32_t (*fn)(uint32_t, const void *, size_t);
} implementation;

static uint8_t *aligned64(uint8_t *p) { return (uint8_t *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

static void known_vectors(const implementation *impl) {
    uint8_t zeros[32], ones[32], up[32], down[32];
    memset(zeros, 0, 32);
    memset(ones, 0xff, 32);
    for (int i = 0; i < 32; i++) up[i] = (uint8_t)i, down[i] = (uint8_t)(31 - i);
    // "123456789" is the check value of the CRC catalogues; the 32-byte ones are RFC 3720, B.4.
    const struct {
        const char *name;
        const void *data;
        size_t len;
        uint32_t crc;
    } vectors[] = {
        {"\"123456789\"", "123456789", 9, 0xE3069283u},
        {"32 zero bytes", zeros, 32, 0x8A9136AAu},
        {"32 bytes 0xFF", ones, 32, 0x62A8AB43u},
        {"32 incrementing bytes", up, 32, 0x46DD794Eu},
        {"32 decrementing bytes", down, 32, 0x113FDB5Cu},
        {"empty", "", 0, 0u},
    };
    ck_begin("%s: known vectors", impl->name);
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        uint32_t got = impl->fn(0, vectors[v].data, vectors[v].len);
        CK_CHECK(got == vectors[v].crc, "%s: got 0x%08X, want 0x%08X", vectors[v].name, got, vectors[v].crc);
    }
    ck_end();
}

// Every length 0..1100 at every alignment 0..15, from 0 and from a non-zero CRC; the reference is
// carried along the prefix, so it costs one pass per alignment.
static void all_short_lengths(const implementation *impl, const uint8_t *random_bytes) {
    enum { MAX_LEN = 1100 };
    ck_begin("%s: lengths 0..%d at alignments 0..15", impl->name, MAX_LEN);
    uint8_t storage[MAX_LEN + 16 + 64];
    uint8_t *base = aligned64(storage);
    for (int start_crc = 0; start_crc < 2; start_crc++) {
        uint32_t crc0 = start_crc ? 0x9A3B4C5Du : 0;
        for (int align = 0; align < 16; align++) {
            uint8_t *p = base + align;
            memcpy(p, random_bytes + 97 * align, MAX_LEN);
            uint32_t reg = ~crc0;
            for (size_t len = 0; len <= MAX_LEN; len++) {
                if (len > 0) reg = bitwise_register(reg, p + len - 1, 1);
                uint32_t got = impl->fn(crc0, p, len);
                CK_CHECK(got == ~reg, "crc0 0x%08X align %d len %zu: got 0x%08X, want 0x%08X", crc0, align, len, got, ~reg);
            }
        }
    }
    ck_end();
}

static void long_lengths(const implementation *impl, const uint8_t *big, size_t big_len, ck_rng *rng) {
    ck_begin("%s: long inputs (block-size edges and random lengths up to %zu)", impl->name, big_len - 64);
    // Edges of the hardware loops (three streams of 256 and 8192 bytes, the 1 MiB streaming
    // threshold, its 2304-byte prefetch distance) and of the 8-byte steps.
    const size_t edges[] = {7,      8,      9,      767,    768,         769,         3071,        3072,
                            3073,   24575,  24576,  24577,  49159,       (1u << 20) - 1, 1u << 20, (1u << 20) + 1,
                            (1u << 20) + 3 * 256 + 2304 + 5};
    for (size_t e = 0; e < sizeof edges / sizeof edges[0] + 6; e++) {
        size_t len = e < sizeof edges / sizeof edges[0] ? edges[e] : (size_t)ck_below(rng, big_len - 64) + 1;
        size_t offset = (size_t)ck_below(rng, 64);
        uint32_t crc0 = (uint32_t)ck_next(rng);
        uint32_t want = reference_fast(crc0, big + offset, len);
        uint32_t got = impl->fn(crc0, big + offset, len);
        CK_CHECK(got == want, "len %zu offset %zu: got 0x%08X, want 0x%08X", len, offset, got, want);
    }
    ck_end();
}

// extend(extend(c, a), b) == extend(c, a ++ b), for every split of a short buffer, random splits
// of a long one and a long one cut into random pieces.
static void split_consistency(const implementation *impl, const uint8_t *big, ck_rng *rng) {
    ck_begin("%s: split and extend consistency", impl->name);
    const size_t n = 70000;
    uint32_t crc0 = (uint32_t)ck_next(rng);
    uint32_t whole = impl->fn(crc0, big, n);
    CK_CHECK(whole == reference_fast(crc0, big, n), "whole: got 0x%08X", whole);
    for (size_t split = 0; split < n; split = split < 300 ? split + 1 : split + 1 + (size_t)ck_below(rng, 5000)) {
        uint32_t got = impl->fn(impl->fn(crc0, big, split), big + split, n - split);
        CK_CHECK(got == whole, "split at %zu: got 0x%08X, want 0x%08X", split, got, whole);
    }
    for (int trial = 0; trial < 20; trial++) {
        uint32_t crc = crc0;
        for (size_t at = 0; at < n;) {
            size_t piece = 1 + (size_t)ck_below(rng, trial < 10 ? 40 : 20000);
            if (piece > n - at) piece = n - at;
            crc = impl->fn(crc, big + at, piece);
            at += piece;
        }
        CK_CHECK(crc == whole, "trial %d in random pieces: got 0x%08X, want 0x%08X", trial, crc, whole);
    }
    // Continuing the portable code's result with this implementation and back.
    uint32_t mixed = shardkit_crc32c_extend_portable(impl->fn(shardkit_crc32c_extend_portable(crc0, big, 1000), big + 1000, 50000),
                                                     big + 51000, n - 51000);
    CK_CHECK(mixed == whole, "portable/this/portable: got 0x%08X, want 0x%08X", mixed, whole);
    ck_end();
}

static void test_implementation(const implementation *impl, const uint8_t *big, size_t big_len, ck_rng *rng) {
    known_vectors(impl);
    all_short_lengths(impl, big);
    long_lengths(impl, big, big_len, rng);
    split_consistency(impl, big, rng);
}

void test_crc32c(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        byte_table[b] = bitwise_register(0, &byte, 1);
    }
    ck_rng rng = {ck_seed() ^ 0xC5C32C00ull};
    const size_t big_len = (4u << 20) + 64;
    uint8_t *big = ck_alloc(big_len);
    ck_fill_random(&rng, big, big_len);

    ck_begin("reference: bitwise and table-driven agree; check value 0xE3069283");
    CK_CHECK(reference(0, "123456789", 9) == 0xE3069283u, "bitwise reference is wrong");
    for (int trial = 0; trial < 200; trial++) {
        size_t len = (size_t)ck_below(&rng, 3000), offset = (size_t)ck_below(&rng, 1000);
        uint32_t crc0 = (uint32_t)ck_next(&rng);
        CK_CHECK(reference(crc0, big + offset, len) == reference_fast(crc0, big + offset, len), "len %zu", len);
    }
    ck_end();

    const int tier = shardkit_cpu()->tier;
    ck_note("kernel in force: %s (hardware %d)", shardkit_crc32c_kernel_name(), shardkit_crc32c_hardware_available());
    ck_begin("kernel matches the tier in force (%s)", shardkit_cpu_tier_name(tier));
    // The portable tier is plain C; every other tier includes the CPU's CRC-32C instruction
    // (SSE4.2 in x86-64-v3 and v4, the CRC extension in armv8).
    int want_hardware = tier != SHARDKIT_TIER_PORTABLE;
    CK_CHECK(shardkit_crc32c_hardware_available() == want_hardware, "hardware_available() is %d at tier %s",
             shardkit_crc32c_hardware_available(), shardkit_cpu_tier_name(tier));
    ck_end();

    implementation impls[] = {{"shardkit_crc32c_extend", shardkit_crc32c_extend},
                              {"shardkit_crc32c_extend_portable", shardkit_crc32c_extend_portable}};
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) test_implementation(&impls[i], big, big_len, &rng);

    // Each tier of every architecture, and two values that name none: a tier that is not
    // runnable is clamped to the tier in force, so every call must give the right answer.
    const int tiers[] = {SHARDKIT_TIER_PORTABLE, SHARDKIT_TIER_AVX2, SHARDKIT_TIER_AVX512, SHARDKIT_TIER_ARMV8, -1, 99};
    for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
        forced_tier = tiers[t];
        char name[80];
        snprintf(name, sizeof name, "shardkit_crc32c_extend_tier(%s%s)", shardkit_cpu_tier_name(tiers[t]),
                 shardkit_cpu_tier_runnable(tiers[t]) ? "" : ", clamped");
        implementation impl = {name, via_tier};
        known_vectors(&impl);
        all_short_lengths(&impl, big);
        long_lengths(&impl, big, big_len, &rng);
    }
    free(big);
}
