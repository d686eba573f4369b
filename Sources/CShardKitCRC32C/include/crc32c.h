#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF).
///
/// `crc` is a finished CRC value: pass 0 to start, and the result of a previous call to continue,
/// so `extend(extend(0, a), b) == extend(0, a ++ b)`. Runs the implementation of the kernel tier in
/// force (`shardkit_cpu()->tier`, see shardkit_cpu.h): slicing-by-8 tables (portable), PCLMULQDQ
/// folding with the SSE4.2 instruction (avx2), VPCLMULQDQ folding on 512-bit registers (avx512,
/// when the CPU has VPCLMULQDQ), or the ARMv8 CRC extension, with PMULL folding when present (armv8).
uint32_t shardkit_crc32c_extend(uint32_t crc, const void *data, size_t len);

/// The same function computed by the implementation of kernel tier `tier` (a `SHARDKIT_TIER_*`),
/// clamped with `shardkit_cpu_clamp_tier`: a tier the CPU or the SHARDKIT_ISA cap rules out runs
/// the tier in force instead, so this never executes instructions the process may not use.
uint32_t shardkit_crc32c_extend_tier(int tier, uint32_t crc, const void *data, size_t len);

/// The same function computed with lookup tables only (slicing-by-8); for tests and fallback.
uint32_t shardkit_crc32c_extend_portable(uint32_t crc, const void *data, size_t len);

/// 1 when `shardkit_crc32c_extend` uses CRC instructions (any tier but portable), 0 otherwise.
int shardkit_crc32c_hardware_available(void);

/// The implementation `shardkit_crc32c_extend` uses in this process, e.g. "slicing-by-8".
const char *shardkit_crc32c_kernel_name(void);

/// The implementation `shardkit_crc32c_extend_tier(tier, ...)` runs (after clamping `tier`).
const char *shardkit_crc32c_tier_kernel_name(int tier);

#ifdef __cplusplus
}
#endif
