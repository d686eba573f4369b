// Link-time probes for entry points that other branches are adding (per-tier CRC-32C and GEMM).
// This file includes no project header on purpose: each probe is a weak reference under its own
// C name to the library's symbol, so it is null when the symbol is absent and the declarations
// cannot clash with the headers' prototypes, whatever they become.
#include "ck.h"

extern const char ck_sym_sgemm_tier __asm__("shardkit_sgemm_tier") __attribute__((weak));
extern const char ck_sym_crc32c_extend_tier __asm__("shardkit_crc32c_extend_tier") __attribute__((weak));

int ck_have_sgemm_tier(void) { return &ck_sym_sgemm_tier != 0; }

int ck_have_crc32c_extend_tier(void) { return &ck_sym_crc32c_extend_tier != 0; }

ck_crc32c_tier_fn ck_crc32c_extend_tier(void) {
    // The documented signature: shardkit_crc32c_extend_tier(int tier, uint32_t crc, const void *data, size_t len).
    return ck_have_crc32c_extend_tier() ? (ck_crc32c_tier_fn)(uintptr_t)&ck_sym_crc32c_extend_tier : 0;
}
