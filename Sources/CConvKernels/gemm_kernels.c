// A small AVX-512 GEMM for the convolution and dense layers. OpenBLAS copies ("packs") both
// operands into its own layout on every call; for the trainer's shapes that copy costs about a
// tenth of the multiply itself. Here the register tiles read A and B where they are: B rows are
// contiguous vectors and A values are broadcast one at a time, so A may have any layout that
// a pair of strides or a pair of offset tables can describe. The offset tables let a
// convolution read its input directly as the column ("im2col") matrix without building it.
//
// The AVX-512 code is compiled with a target attribute and only called after a run-time CPU
// check, so the rest of the library builds and runs for any x86-64 (or other) CPU.
#include "gemm_kernels.h"

#include "shardkit_cpu.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int shardkit_sgemm_available(void) { return shardkit_cpu_tier_runnable(SHARDKIT_TIER_AVX512); }

#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE static inline __attribute__((always_inline))

// Where A(i, p) lives: a[i·rowStride + p·depthStride] when the tables are null, otherwise
// a[rowOffsets[i] + depthOffsets[p]].
typedef struct {
    const float *a;
    long rowStride, depthStride;
    const long *rowOffsets, *depthOffsets;
} Operand;

// One register tile: rows×(vectors·16) outputs of C for depths 0..<k, the last vector limited
// to `lastMask` columns. rows·vectors accumulators plus `vectors` B registers fit in the 32
// vector registers. `gathered` (a constant at every call) selects the offset tables.
INLINE AVX512 void tile(
    const int rows, const int vectors, const int gathered, __mmask16 lastMask, long k, Operand A, long i0, long p0,
    const float *b, long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    long rowOffset[12];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) rowOffset[r] = gathered ? A.rowOffsets[i0 + r] : (i0 + r) * A.rowStride;
    __m512 acc[12][4];
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < k; p++) {
        const float *a = A.a + (gathered ? A.depthOffsets[p0 + p] : (p0 + p) * A.depthStride);
        __m512 bv[4];
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++)
            bv[v] = v == vectors - 1 ? _mm512_maskz_loadu_ps(lastMask, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            __m512 av = _mm512_set1_ps(a[rowOffset[r]]);
#pragma clang loop unroll(full)
            for (int v = 0; v < vectors; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        b += ldb;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
#pragma clang loop unroll(full)
        for (int v = 0; v < vectors; v++) {
            float *out = c + r * ldc + 16 * v;
            __mmask16 mask = v == vectors - 1 ? lastMask : 0xFFFF;
            __m512 sum = acc[r][v];
            if (accumulate) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, out));
            if (bias) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, bias + 16 * v));
            if (relu) sum = _mm512_max_ps(sum, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(out, mask, sum);
        }
    }
}

typedef void (*TileFunction)(
    __mmask16, long, Operand, long, long, const float *, long, float *, long, int, const float *, int);

#define DEFINE_TILE(ROWS, VECTORS, GATHERED)                                                              \
    static AVX512 void tile_##ROWS##_##VECTORS##_##GATHERED(                                             \
        __mmask16 lastMask, long k, Operand A, long i0, long p0, const float *b, long ldb, float *c,      \
        long ldc, int accumulate, const float *bias, int relu) {                                         \
        tile(ROWS, VECTORS, GATHERED, lastMask, k, A, i0, p0, b, ldb, c, ldc, accumulate, bias, relu);   \
    }
#define DEFINE_TILES(G)                                                                                   \
    DEFINE_TILE(1, 1, G) DEFINE_TILE(2, 1, G) DEFINE_TILE(3, 1, G) DEFINE_TILE(4, 1, G)                  \
    DEFINE_TILE(5, 1, G) DEFINE_TILE(6, 1, G) DEFINE_TILE(7, 1, G) DEFINE_TILE(8, 1, G)                  \
    DEFINE_TILE(9, 1, G) DEFINE_TILE(10, 1, G) DEFINE_TILE(11, 1, G) DEFINE_TILE(12, 1, G)               \
    DEFINE_TILE(1, 2, G) DEFINE_TILE(2, 2, G) DEFINE_TILE(3, 2, G) DEFINE_TILE(4, 2, G)                  \
    DEFINE_TILE(5, 2, G) DEFINE_TILE(6, 2, G) DEFINE_TILE(7, 2, G) DEFINE_TILE(8, 2, G)                  \
    DEFINE_TILE(9, 2, G) DEFINE_TILE(10, 2, G) DEFINE_TILE(11, 2, G) DEFINE_TILE(12, 2, G)               \
    DEFINE_TILE(1, 3, G) DEFINE_TILE(2, 3, G) DEFINE_TILE(3, 3, G) DEFINE_TILE(4, 3, G)                  \
    DEFINE_TILE(5, 3, G) DEFINE_TILE(6, 3, G) DEFINE_TILE(7, 3, G) DEFINE_TILE(8, 3, G)                  \
    DEFINE_TILE(1, 4, G) DEFINE_TILE(2, 4, G) DEFINE_TILE(3, 4, G) DEFINE_TILE(4, 4, G)                  \
    DEFINE_TILE(5, 4, G) DEFINE_TILE(6, 4, G)
DEFINE_TILES(0)
DEFINE_TILES(1)

#define TILE_TABLE(G)                                                                                     \
    {                                                                                                     \
        {0},                                                                                              \
        {0, tile_1_1_##G, tile_2_1_##G, tile_3_1_##G, tile_4_1_##G, tile_5_1_##G, tile_6_1_##G,          \
         tile_7_1_##G, tile_8_1_##G, tile_9_1_##G, tile_10_1_##G, tile_11_1_##G, tile_12_1_##G},         \
        {0, tile_1_2_##G, tile_2_2_##G, tile_3_2_##G, tile_4_2_##G, tile_5_2_##G, tile_6_2_##G,          \
         tile_7_2_##G, tile_8_2_##G, tile_9_2_##G, tile_10_2_##G, tile_11_2_##G, tile_12_2_##G},         \
        {0, tile_1_3_##G, tile_2_3_##G, tile_3_3_##G, tile_4_3_##G, tile_5_3_##G, tile_6_3_##G,          \
         tile_7_3_##G, tile_8_3_##G},                                                                     \
        {0, tile_1_4_##G, tile_2_4_##G, tile_3_4_##G, tile_4_4_##G, tile_5_4_##G, tile_6_4_##G},         \
    }

// The tallest tile for each width keeps 24 accumulators (of 32 registers) busy.
static const int maxRows[5] = {0, 12, 12, 8, 6};
static const TileFunction tiles[2][5][13] = {TILE_TABLE(0), TILE_TABLE(1)};

static void multiply(
    long m, long n, long k, Operand A, int gathered, const float *b, long ldb, float *c, long ldc, int accumulate,
    const float *bias, int relu) {
    // Depth blocks keep the k×n block of B within about half of a 1 MB L2 cache.
    long depthBlock = 131072 / (n > 0 ? n : 1);
    if (depthBlock < 128) depthBlock = 128;
    // Row panels of 24 (a multiple of every tile height) so A's rows stay in cache while every
    // column block of B passes over them.
    const long panel = 24;
    for (long p0 = 0; p0 < k; p0 += depthBlock) {
        long depth = k - p0 < depthBlock ? k - p0 : depthBlock;
        int add = accumulate || p0 > 0;
        int last = p0 + depth >= k;  // the bias and ReLU apply once, to the finished sum
        for (long i0 = 0; i0 < m; i0 += panel) {
            long panelRows = m - i0 < panel ? m - i0 : panel;
            for (long j0 = 0; j0 < n; j0 += 64) {
                long width = n - j0 < 64 ? n - j0 : 64;
                int vectors = (int)((width + 15) / 16);
                long lastWidth = width - 16 * (vectors - 1);
                __mmask16 lastMask = (__mmask16)((1u << lastWidth) - 1);
                for (long i = i0; i < i0 + panelRows;) {
                    long rows = i0 + panelRows - i;
                    if (rows > maxRows[vectors]) rows = maxRows[vectors];
                    tiles[gathered][vectors][rows](
                        lastMask, depth, A, i, p0, b + p0 * ldb + j0, ldb, c + i * ldc + j0, ldc, add,
                        last && bias ? bias + j0 : 0, last && relu);
                    i += rows;
                }
            }
        }
    }
    if (k == 0)
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) {
                float sum = (accumulate ? c[i * ldc + j] : 0) + (bias ? bias[j] : 0);
                c[i * ldc + j] = relu && sum < 0 ? 0 : sum;
            }
}

void shardkit_sgemm(
    long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu) {
    Operand A = {a, rowStride, depthStride, 0, 0};
    multiply(m, n, k, A, 0, b, ldb, c, ldc, accumulate, bias, relu);
}

void shardkit_sgemm_gathered(
    long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    Operand A = {a, 0, 0, rowOffsets, depthOffsets};
    multiply(m, n, k, A, 1, b, ldb, c, ldc, accumulate, bias, relu);
}

#else

int shardkit_sgemm_available(void) { return 0; }

// Never called: callers check shardkit_sgemm_available() first.
void shardkit_sgemm(
    long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu) {
    __builtin_trap();
}

void shardkit_sgemm_gathered(
    long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    __builtin_trap();
}

#endif
