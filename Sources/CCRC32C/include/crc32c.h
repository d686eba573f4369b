#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF).
///
/// `crc` is a finished CRC value: pass 0 to start, and the result of a previous call to continue,
/// so `extend(extend(0, a), b) == extend(0, a ++ b)`. Uses the CPU's CRC32C instruction when the
/// CPU has one (SSE4.2 on x86-64, the ARMv8 CRC extension on aarch64), chosen once at run time,
/// and the portable slicing-by-8 code otherwise.
uint32_t shardkit_crc32c_extend(uint32_t crc, const void *data, size_t len);

/// The same function computed with lookup tables only (slicing-by-8); for tests and fallback.
uint32_t shardkit_crc32c_extend_portable(uint32_t crc, const void *data, size_t len);

/// 1 when `shardkit_crc32c_extend` uses a hardware CRC32C instruction, 0 otherwise.
int shardkit_crc32c_hardware_available(void);

/// The implementation `shardkit_crc32c_extend` uses in this process, e.g. "slicing-by-8".
const char *shardkit_crc32c_kernel_name(void);

#ifdef __cplusplus
}
#endif
