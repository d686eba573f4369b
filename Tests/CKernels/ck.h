// The C-level tests of ShardKit's C kernels (CRC-32C, the GEMM, the deflate encoder and the PNG
// filters) and of the JPEG shim: a tiny harness shared by the test files. Plain C11, no
// dependencies beyond libc (and libjpeg for the JPEG shim's group), so the same program builds
// natively, under the sanitizers and cross-compiled for aarch64 (see scripts/test-c-kernels.sh).
#pragma once
#include <stddef.h>
#include <stdint.h>

// ---- Cases and checks. A case passes when no check failed between ck_begin and ck_end.

/// Starts a case named `name` (printf-style).
void ck_begin(const char *name, ...) __attribute__((format(printf, 1, 2)));
/// Records a failed check of the current case, with a message; only the first few are printed.
void ck_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
/// Ends the current case, counting it passed or failed; returns 1 when it passed.
int ck_end(void);
/// Prints "skipped: <what>: <why>" (a skipped case is counted neither way).
void ck_skip(const char *what, const char *why, ...) __attribute__((format(printf, 2, 3)));
/// Informational line, indented under the current section.
void ck_note(const char *format, ...) __attribute__((format(printf, 1, 2)));

#define CK_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) ck_fail(__VA_ARGS__);                                                         \
    } while (0)

// ---- Deterministic random numbers (splitmix64): the same sequence on every architecture, so
// the inputs of the digest checks are the same everywhere.

typedef struct {
    uint64_t state;
} ck_rng;

static inline uint64_t ck_next(ck_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// Uniform in [0, bound) (bound > 0; the tiny modulo bias does not matter here).
static inline uint64_t ck_below(ck_rng *r, uint64_t bound) { return ck_next(r) % bound; }

/// Uniform float in [-1, 1), exactly representable (24 random bits).
static inline float ck_unit(ck_rng *r) { return (float)((int32_t)(ck_next(r) >> 40) - (1 << 23)) / (float)(1 << 23); }

static inline void ck_fill_random(ck_rng *r, uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(ck_next(r) >> 56);
}

/// malloc that aborts the test on failure.
void *ck_alloc(size_t size);

/// The seed of this run's random inputs (CK_SEED in the environment, else a fixed value).
uint64_t ck_seed(void);

// ---- The test groups, one per kernel.
void test_crc32c(void);
void test_gemm(void);
void test_elementwise(void);
void test_pooling(void);
void test_batchnorm(void);
void test_deflate(void);
void test_filters(void);
void test_jpeg(void);  // not in builds with CK_NO_JPEG (no libjpeg for the target)

