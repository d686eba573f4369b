// The register tile of the vector kernels, written once and compiled once per instruction set:
// gemm_x86.c includes this file for AVX2+FMA and again for AVX-512, each time after defining
//
//   TILE_ISA                 the kernel's name in identifiers (avx2, avx512)
//   TILE_TARGET              the function attribute that enables the instruction set
//   TILE_DESCRIPTION         the kernel's name for people
//   TILE_LANES, VEC, MASK    floats per vector, the vector type, the type of a lane mask
//   V_MASK(width)            the mask of the first `width` lanes
//   V_ZERO(), V_LOAD(p), V_LOAD_MASKED(p, mask) (masked lanes read as 0), V_STORE(p, v),
//   V_STORE_MASKED(p, mask, v), V_BROADCAST(x), V_FMA(a, b, acc) = a·b + acc, V_ADD, V_MAX
//   TILE_SPLIT_FULL          1 to compile each tile twice, unmasked for full-width column blocks
//                            (when masked loads cost more than plain ones), 0 to always mask
//   TILE_MAX_VECTORS         the widest tile, in vectors
//   TILE_MAX_ROWS            the `maxRows` initializer: the tallest strided and gathered tiles
//                            of each width
//   TILE_LIST(X)             X(rows, vectors) for every strided tile to compile
//   TILE_LIST_GATHERED(X)    X(rows, vectors) for every gathered tile to compile
//
// The tile reads A and B where they are: per depth step it loads `vectors` B vectors (one row of
// B), broadcasts one A value per row and issues rows·vectors FMAs into accumulators that stay in
// registers until the bias, the ReLU and the store. It defines `shardkit_gemm_<TILE_ISA>`.
#include <immintrin.h>

#include "gemm_internal.h"

#define TILE_GLUE2(a, b) a##_##b
#define TILE_XGLUE2(a, b) TILE_GLUE2(a, b)
#define TILE_GLUE5(a, b, c, d, e) a##_##b##_##c##_##d##_##e
#define TILE_XGLUE5(a, b, c, d, e) TILE_GLUE5(a, b, c, d, e)
#define TILE_NAME(R, V, G) TILE_XGLUE5(tile, TILE_ISA, R, V, G)
#define TILE_BODY TILE_XGLUE2(tile_body, TILE_ISA)

// rows·vectors accumulators; `gathered` and `masked` are constants at every call, so each
// instantiation is straight-line code with the loops unrolled.
static inline __attribute__((always_inline)) TILE_TARGET void TILE_BODY(
    const int rows, const int vectors, const int gathered, const int masked, MASK lastMask, long k,
    GemmOperand A, long i0, long p0, const float *b, long ldb, float *c, long ldc, int accumulate,
    const float *bias, int relu) {
    long rowOffset[GEMM_MAX_ROWS];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) rowOffset[r] = gathered ? A.rowOffsets[i0 + r] : (i0 + r) * A.rowStride;
    VEC acc[GEMM_MAX_ROWS][GEMM_MAX_VECTORS];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) acc[r][v] = V_ZERO();
    for (long p = 0; p < k; p++) {
        const float *a = A.a + (gathered ? A.depthOffsets[p0 + p] : (p0 + p) * A.depthStride);
        VEC bv[GEMM_MAX_VECTORS];
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++)
            bv[v] = masked && v == vectors - 1 ? V_LOAD_MASKED(b + TILE_LANES * v, lastMask)
                                               : V_LOAD(b + TILE_LANES * v);
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            VEC av = V_BROADCAST(a[rowOffset[r]]);
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; v++) acc[r][v] = V_FMA(av, bv[v], acc[r][v]);
        }
        b += ldb;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) {
            float *out = c + r * ldc + TILE_LANES * v;
            VEC sum = acc[r][v];
            if (masked && v == vectors - 1) {
                if (accumulate) sum = V_ADD(sum, V_LOAD_MASKED(out, lastMask));
                if (bias) sum = V_ADD(sum, V_LOAD_MASKED(bias + TILE_LANES * v, lastMask));
                if (relu) sum = V_MAX(sum, V_ZERO());
                V_STORE_MASKED(out, lastMask, sum);
            } else {
                if (accumulate) sum = V_ADD(sum, V_LOAD(out));
                if (bias) sum = V_ADD(sum, V_LOAD(bias + TILE_LANES * v));
                if (relu) sum = V_MAX(sum, V_ZERO());
                V_STORE(out, sum);
            }
        }
    }
}

#define TILE_DEFINE(R, V, G)                                                                              \
    static TILE_TARGET void TILE_NAME(R, V, G)(                                                           \
        int lastWidth, long k, GemmOperand A, long i0, long p0, const float *b, long ldb, float *c, long ldc, \
        int accumulate, const float *bias, int relu) {                                                    \
        if (TILE_SPLIT_FULL && lastWidth == TILE_LANES)                                                   \
            TILE_BODY(R, V, G, 0, V_MASK(TILE_LANES), k, A, i0, p0, b, ldb, c, ldc, accumulate, bias, relu); \
        else                                                                                              \
            TILE_BODY(R, V, G, 1, V_MASK(lastWidth), k, A, i0, p0, b, ldb, c, ldc, accumulate, bias, relu); \
    }

// The tiles named by TILE_LIST (strided A) and TILE_LIST_GATHERED, and the kernel's table of them.
#define TILE_STRIDED(R, V) TILE_DEFINE(R, V, 0)
#define TILE_GATHERED(R, V) TILE_DEFINE(R, V, 1)
#define TILE_ENTRY(R, V) [0][V][R] = TILE_NAME(R, V, 0),
#define TILE_ENTRY_GATHERED(R, V) [1][V][R] = TILE_NAME(R, V, 1),

TILE_LIST(TILE_STRIDED)
TILE_LIST_GATHERED(TILE_GATHERED)

const GemmKernel TILE_XGLUE2(shardkit_gemm, TILE_ISA) = {
    .name = TILE_DESCRIPTION,
    .lanes = TILE_LANES,
    .maxVectors = TILE_MAX_VECTORS,
    .maxRows = TILE_MAX_ROWS,
    .tiles = {TILE_LIST(TILE_ENTRY) TILE_LIST_GATHERED(TILE_ENTRY_GATHERED)},
};

#undef TILE_GLUE2
#undef TILE_XGLUE2
#undef TILE_GLUE5
#undef TILE_XGLUE5
#undef TILE_NAME
#undef TILE_BODY
#undef TILE_DEFINE
#undef TILE_STRIDED
#undef TILE_GATHERED
#undef TILE_ENTRY
#undef TILE_ENTRY_GATHERED
