// The portable kernel: plain C register tiles of up to 6 rows × 8 columns, for any CPU (the
// compiler vectorises the 8 columns with whatever the target has: SSE2, NEON, or nothing).
// 12 vectors of accumulators fit the 16 SSE registers; the driver's blocking is shared with
// the vector kernels.
#include "gemm_internal.h"

enum { LANES = 8, ROWS = 6 };

#define INLINE static inline __attribute__((always_inline))

// `width` columns (a constant 8 for full blocks, so the column loops unroll and vectorise).
INLINE void body(
    const int rows, const int gathered, const int width, long k, GemmOperand A, long i0, long p0, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    long rowOffset[ROWS];
    for (int r = 0; r < rows; r++) rowOffset[r] = gathered ? A.rowOffsets[i0 + r] : (i0 + r) * A.rowStride;
    float acc[ROWS][LANES];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < LANES; j++) acc[r][j] = 0;
    for (long p = 0; p < k; p++) {
        const float *a = A.a + (gathered ? A.depthOffsets[p0 + p] : (p0 + p) * A.depthStride);
        float bv[LANES];
        for (int j = 0; j < width; j++) bv[j] = b[j];
        for (int r = 0; r < rows; r++) {
            float av = a[rowOffset[r]];
            for (int j = 0; j < width; j++) acc[r][j] += av * bv[j];
        }
        b += ldb;
    }
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        for (int j = 0; j < width; j++) {
            float sum = acc[r][j];
            if (accumulate) sum += out[j];
            if (bias) sum += bias[j];
            if (relu && sum < 0) sum = 0;
            out[j] = sum;
        }
    }
}

#define TILE(R, G)                                                                                        \
    static void tile_##R##_##G(                                                                           \
        int lastWidth, long k, GemmOperand A, long i0, long p0, const float *b, long ldb, float *c, long ldc, \
        int accumulate, const float *bias, int relu) {                                                    \
        if (lastWidth == LANES)                                                                           \
            body(R, G, LANES, k, A, i0, p0, b, ldb, c, ldc, accumulate, bias, relu);                       \
        else                                                                                              \
            body(R, G, lastWidth, k, A, i0, p0, b, ldb, c, ldc, accumulate, bias, relu);                   \
    }
#define TILES(R) TILE(R, 0) TILE(R, 1)
TILES(1)
TILES(2)
TILES(3)
TILES(4)
TILES(5)
TILES(6)

const GemmKernel shardkit_gemm_portable = {
    .name = "portable C tiles (no packing, bias and ReLU fused, offset tables)",
    .lanes = LANES,
    .maxVectors = 1,
    .maxRows = {{0, ROWS}, {0, ROWS}},
    .tiles =
        {
            {{0}, {0, tile_1_0, tile_2_0, tile_3_0, tile_4_0, tile_5_0, tile_6_0}},
            {{0}, {0, tile_1_1, tile_2_1, tile_3_1, tile_4_1, tile_5_1, tile_6_1}},
        },
};
