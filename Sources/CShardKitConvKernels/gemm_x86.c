// The x86-64 kernels: the register tile of gemm_tile.h compiled for AVX2+FMA and for AVX-512.
// Each is compiled with a target attribute, so this file builds for any x86-64 CPU; the driver
// runs a kernel only when shardkit_cpu says its tier may run.
#include "gemm_internal.h"

#ifdef SHARDKIT_GEMM_X86
#include <immintrin.h>

// MARK: AVX2+FMA: 16 ymm registers of 8 floats. Tiles keep at most 12 accumulators, which with
// the B vectors and the broadcast A value fill the 16 registers: 12×1 and 6×2 vectors. (A 4×3
// tile needs all 16 registers; clang then spilled an accumulator in the loop, and 3-vector
// blocks ran at 57 GFLOP/s against 75-87 for 2-vector blocks.) Gathered tiles keep one row
// offset per row in a general register: beyond 8 rows they spill, so they stop at 8×1.

#define TILE_ISA avx2
#define TILE_TARGET __attribute__((target("avx2,fma")))
#define TILE_DESCRIPTION "avx2+fma tiles (no packing, bias and ReLU fused, offset tables)"
#define TILE_LANES 8
#define VEC __m256
#define MASK __m256i
#define V_MASK(width) _mm256_cmpgt_epi32(_mm256_set1_epi32(width), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_LOAD_MASKED(p, mask) _mm256_maskload_ps(p, mask)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_STORE_MASKED(p, mask, v) _mm256_maskstore_ps(p, mask, v)
#define V_BROADCAST(x) _mm256_set1_ps(x)
#define V_FMA(a, b, acc) _mm256_fmadd_ps(a, b, acc)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
// vmaskmovps costs more than vmovups on most AVX2 CPUs: full-width blocks get unmasked tiles.
#define TILE_SPLIT_FULL 1
#define TILE_MAX_VECTORS 2
#define TILE_MAX_ROWS {{0, 12, 6, 0, 0}, {0, 8, 6, 0, 0}}
#define TILE_LIST(X)                                                                                      \
    X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(7, 1) X(8, 1) X(9, 1) X(10, 1) X(11, 1) X(12, 1)    \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2)
#define TILE_LIST_GATHERED(X)                                                                             \
    X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(7, 1) X(8, 1)                                       \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2)

#include "gemm_tile.h"

#undef TILE_ISA
#undef TILE_TARGET
#undef TILE_DESCRIPTION
#undef TILE_LANES
#undef VEC
#undef MASK
#undef V_MASK
#undef V_ZERO
#undef V_LOAD
#undef V_LOAD_MASKED
#undef V_STORE
#undef V_STORE_MASKED
#undef V_BROADCAST
#undef V_FMA
#undef V_ADD
#undef V_MAX
#undef TILE_SPLIT_FULL
#undef TILE_MAX_VECTORS
#undef TILE_MAX_ROWS
#undef TILE_LIST
#undef TILE_LIST_GATHERED

// MARK: AVX-512: 32 zmm registers of 16 floats. Tiles keep up to 24 accumulators: 12×1, 12×2,
// 8×3 and 6×4 vectors. Masked loads and stores cost no more than plain ones, so every tile masks
// its last vector. Gathered tiles stop at 8 rows: beyond, clang ran out of general registers
// for the row offsets and, for 12×2, hoisted the 12 broadcasts and spilled accumulators.

#define TILE_ISA avx512
#define TILE_TARGET __attribute__((target("avx512f,fma")))
#define TILE_DESCRIPTION "avx512 tiles (no packing, bias and ReLU fused, offset tables)"
#define TILE_LANES 16
#define VEC __m512
#define MASK __mmask16
#define V_MASK(width) ((__mmask16)((1u << (width)) - 1))
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_LOAD_MASKED(p, mask) _mm512_maskz_loadu_ps(mask, p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_STORE_MASKED(p, mask, v) _mm512_mask_storeu_ps(p, mask, v)
#define V_BROADCAST(x) _mm512_set1_ps(x)
#define V_FMA(a, b, acc) _mm512_fmadd_ps(a, b, acc)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define TILE_SPLIT_FULL 0
#define TILE_MAX_VECTORS 4
#define TILE_MAX_ROWS {{0, 12, 12, 8, 6}, {0, 8, 8, 8, 6}}
#define TILE_LIST(X)                                                                                      \
    X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(7, 1) X(8, 1) X(9, 1) X(10, 1) X(11, 1) X(12, 1)    \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2) X(7, 2) X(8, 2) X(9, 2) X(10, 2) X(11, 2) X(12, 2)    \
    X(1, 3) X(2, 3) X(3, 3) X(4, 3) X(5, 3) X(6, 3) X(7, 3) X(8, 3)                                       \
    X(1, 4) X(2, 4) X(3, 4) X(4, 4) X(5, 4) X(6, 4)
#define TILE_LIST_GATHERED(X)                                                                             \
    X(1, 1) X(2, 1) X(3, 1) X(4, 1) X(5, 1) X(6, 1) X(7, 1) X(8, 1)                                       \
    X(1, 2) X(2, 2) X(3, 2) X(4, 2) X(5, 2) X(6, 2) X(7, 2) X(8, 2)                                       \
    X(1, 3) X(2, 3) X(3, 3) X(4, 3) X(5, 3) X(6, 3) X(7, 3) X(8, 3)                                       \
    X(1, 4) X(2, 4) X(3, 4) X(4, 4) X(5, 4) X(6, 4)

#include "gemm_tile.h"

#endif
