// A small GEMM for the convolution and dense layers. OpenBLAS copies ("packs") both operands
// into its own layout on every call; for the trainer's shapes that copy costs about a tenth of
// the multiply itself. Here the register tiles read A and B where they are: B rows are
// contiguous vectors and A values are broadcast one at a time, so A may have any layout that
// a pair of strides or a pair of offset tables can describe. The offset tables let a
// convolution read its input directly as the column ("im2col") matrix without building it.
// The exception: B whose rows are not aligned to the vectors, or lie far apart with many rows
// of A to reuse them (a dense layer's dW), is copied into aligned, contiguous column blocks
// first, one depth block at a time (`multiply`).
//
// This file holds the one driver (the blocking loops) and the dispatch. The tiles come in one
// kernel per tier: AVX-512 and AVX2+FMA (gemm_x86.c, one source for both, gemm_tile.h) and
// plain C (gemm_portable.c) for every other CPU. Which one runs is shardkit_cpu's decision alone.
#include "gemm_kernels.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_internal.h"
#include "shardkit_cpu.h"

/// The kernel for `tier`, clamped to a tier this process may run.
static const GemmKernel *kernel_for(int tier) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef SHARDKIT_GEMM_X86
    case SHARDKIT_TIER_AVX512: return &shardkit_gemm_avx512;
    case SHARDKIT_TIER_AVX2: return &shardkit_gemm_avx2;
#endif
    default: return &shardkit_gemm_portable;
    }
}

// MARK: packing B. Each thread owns one buffer, grown on demand and freed when the thread ends.

typedef struct {
    float *data;
    long capacity;
} PackBuffer;

static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;
static int pack_key_ready;

static void pack_buffer_free(void *p) {
    PackBuffer *buffer = p;
    free(buffer->data);
    free(buffer);
}

static void pack_key_make(void) { pack_key_ready = pthread_key_create(&pack_key, pack_buffer_free) == 0; }

/// This thread's buffer of at least `floats` floats, or null when memory is short (the caller
/// then reads B where it is).
static float *pack_buffer(long floats) {
    pthread_once(&pack_once, pack_key_make);
    if (!pack_key_ready) return 0;
    PackBuffer *buffer = pthread_getspecific(pack_key);
    if (!buffer) {
        buffer = calloc(1, sizeof *buffer);
        if (!buffer || pthread_setspecific(pack_key, buffer) != 0) {
            free(buffer);
            return 0;
        }
    }
    if (buffer->capacity < floats) {
        // 64-byte aligned, so that a packed block starts a cache line and its rows, a whole number
        // of vectors long, never split a vector across two lines (see `multiply`).
        void *data = 0;
        if (posix_memalign(&data, 64, (size_t)floats * sizeof(float)) != 0) return 0;
        free(buffer->data);
        buffer->data = data;
        buffer->capacity = floats;
    }
    return buffer->data;
}

/// Copies `count` floats, 8 at a time where it can. Packing copies a column block's row at a
/// time, 16 to 64 floats: through a memcpy call each, the calls cost more than the copying
/// (1% of a `digits` training step went to packing the convolutions' gradients).
static inline void copy_floats(float *to, const float *from, long count) {
    long q = 0;
    for (; q + 8 <= count; q += 8) memcpy(to + q, from + q, 8 * sizeof(float));
    for (; q < count; q++) to[q] = from[q];
}

/// The shape of one column block: `vectors` vectors, `width` columns, the last vector's width.
typedef struct {
    int vectors, lastWidth;
    long width;
} ColumnBlock;

/// How an n-column product is cut into column blocks: blocks of at most maxVectors vectors, as
/// even as possible (64 columns as 24+24+16 rather than 24+24+8+8 on AVX2); only the last
/// block's last vector is partial. The divisions are made once here, not per block.
typedef struct {
    long n, lanes, blocks, vectorsPerBlock, widerBlocks;
} ColumnBlocks;

static ColumnBlocks column_blocks(const GemmKernel *K, long n) {
    const long lanes = K->lanes, vectorCount = (n + lanes - 1) / lanes;
    const long blocks = (vectorCount + K->maxVectors - 1) / K->maxVectors;
    ColumnBlocks cuts = {n, lanes, blocks, blocks ? vectorCount / blocks : 0, blocks ? vectorCount % blocks : 0};
    return cuts;
}

/// Block `block` of `cuts`, starting at column j0.
static inline ColumnBlock column_block(const ColumnBlocks *cuts, long j0, long block) {
    ColumnBlock cb;
    cb.vectors = (int)(cuts->vectorsPerBlock + (block < cuts->widerBlocks));
    cb.width = cuts->n - j0 < cb.vectors * cuts->lanes ? cuts->n - j0 : cb.vectors * cuts->lanes;
    cb.lastWidth = (int)(cb.width - cuts->lanes * (cb.vectors - 1));
    return cb;
}

/// One depth block, depths p0 ..< p0 + depth, of every C element: C is added to when `add`, and
/// the bias and ReLU apply when `last` (once, to the finished sum). B's row p0 is at `b`, its
/// rows `ldb` apart; or, when `packedB`, column block j's rows are at b + j0·depth, one block
/// width apart (see `multiply`). Each row panel takes the block `innerDepth` depths at a time
/// (the whole block when innerDepth ≥ depth), every column block of one step before the next.
static void multiply_block(
    const GemmKernel *K, long m, long n, long depth, long innerDepth, long p0, GemmOperand A, int gathered,
    const float *b, long ldb, int packedB, float *c, long ldc, int add, int last, const float *bias, int relu) {
    // Row panels of 24 (a multiple of every full tile height) so A's rows stay in cache while every
    // column block of B passes over them; a remainder of less than half a panel joins the last
    // full panel (25 rows as one panel, 128 as 24·4 + 32). Each panel is cut into as few tiles as
    // the tallest tile allows, of nearly equal heights (25 rows as 7+6+6+6 rather than 8+8+8+1,
    // 32 as 6+6+5+5+5+5 rather than 6+6+6+6+4+4): a short tile reloads the same B vectors for a
    // few FMAs each. Every C element is still summed by one tile over the same depth blocks, so
    // the results are unchanged.
    const long panel = 24;
    const ColumnBlocks cuts = column_blocks(K, n);
    for (long i0 = 0, panelRows = 0; i0 < m; i0 += panelRows) {
        panelRows = m - i0 < panel + panel / 2 ? m - i0 : panel;
        // The panel's tiles for each tile width, worked out once per panel rather than per tile
        // call (a dW product makes tens of thousands of calls, and these are divisions).
        long tileCount[GEMM_MAX_VECTORS + 1], tileRows[GEMM_MAX_VECTORS + 1], tallerTiles[GEMM_MAX_VECTORS + 1];
        for (int v = 1; v <= K->maxVectors; v++) {
            const long maxRows = K->maxRows[gathered][v];
            tileCount[v] = (panelRows + maxRows - 1) / maxRows;
            tileRows[v] = panelRows / tileCount[v];
            tallerTiles[v] = panelRows % tileCount[v];
        }
        for (long s0 = 0, steps = 0; s0 < depth; s0 += steps) {
            steps = depth - s0 < innerDepth ? depth - s0 : innerDepth;
            const int finished = last && s0 + steps >= depth;
            for (long block = 0, j0 = 0; block < cuts.blocks; block++) {
                ColumnBlock cb = column_block(&cuts, j0, block);
                const long bStride = packedB ? cb.vectors * K->lanes : ldb;
                const float *bBlock = (packedB ? b + j0 * depth : b + j0) + s0 * bStride;
                const GemmTile *tiles = K->tiles[gathered][cb.vectors];
                for (long t = 0, i = i0; t < tileCount[cb.vectors]; t++) {
                    long rows = tileRows[cb.vectors] + (t < tallerTiles[cb.vectors]);
                    tiles[rows](
                        cb.lastWidth, steps, A, i, p0 + s0, bBlock, bStride, c + i * ldc + j0, ldc, add || s0 > 0,
                        finished && bias ? bias + j0 : 0, finished && relu);
                    i += rows;
                }
                j0 += cb.width;
            }
        }
    }
}

/// Whether A's consecutive depths lie a cache line or more apart on average over the call
/// (a convolution's dW, whose depth is the output pixels, a whole pixel of channels apart; a
/// dense layer's dW, whose A is the input transposed): each depth step of a tile then reads a
/// new line of A rather than the next floats of one.
static int reads_a_across_lines(GemmOperand A, int gathered, long k) {
    const long lineFloats = 64 / (long)sizeof(float);
    if (!gathered) return A.depthStride >= lineFloats || A.depthStride <= -lineFloats;
    if (k < 2) return 0;
    long span = A.depthOffsets[k - 1] - A.depthOffsets[0];
    return (span < 0 ? -span : span) >= lineFloats * (k - 1);
}

static void multiply(
    const GemmKernel *K, long m, long n, long k, GemmOperand A, int gathered, const float *b, long ldb, float *c,
    long ldc, int accumulate, const float *bias, int relu) {
    if (k == 0) {
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) {
                float sum = (accumulate ? c[i * ldc + j] : 0) + (bias ? bias[j] : 0);
                c[i * ldc + j] = relu && sum < 0 ? 0 : sum;
            }
        return;
    }
    long depthBlock = shardkit_sgemm_depth_block(n);
    // B's rows far apart and B deeper than C is tall (so B, not C, is what streams), read in
    // place: every depth step lands on another 4 KB page, so the depth block also bounds the
    // pages a sweep over B touches, to 64 (the first-level TLB's reach). On fc1's forward shapes
    // (ldb 1024, m 32 or 128, k 3136 or 6272) depth 64 instead of 256 ran 10-25% faster on AVX-512
    // and AVX2. With C the larger each extra depth block costs a pass over C instead: no cap there.
    // (The same depth blocks whether B is packed or not, below, so packing never changes a sum.)
    if (ldb > n && k > m) {
        long pages = 65536 / (ldb > 0 ? ldb : 1);
        if (pages < 64) pages = 64;
        if (depthBlock > pages) depthBlock = pages;
    }
    if (depthBlock > k) depthBlock = k;
    // Each depth block of B is copied into contiguous column blocks, [depth × block width] each,
    // rows a whole number of vectors long from a 64-byte boundary, when:
    // - B's rows are not aligned to the kernel's vectors (Swift arrays start wherever malloc puts
    //   them, 16 or 48 bytes past a 64-byte line as often as not): every vector load of B then
    //   spans two cache lines. Aligned, mnist's fc1 forward product ran 19% faster on AVX-512,
    //   conv2's products 7-12%; the copy is one pass over B per call, for m rows of work.
    // - B's rows lie far apart (a column slice of a wider matrix, as each worker of a dense
    //   layer takes) with many rows of A to reuse them (a dense layer's dW: m = its inputs,
    //   k = the batch): the tiles then stream consecutive lines instead of one 4 KB page per depth
    //   step (fc1's dW, m 3136, n 512 of ldb 1024: 10-15% faster on AVX-512 with both cores busy).
    // The packed blocks hold the same values, summed in the same order: the results are the same.
    const long vectorBytes = K->lanes * (long)sizeof(float);
    // (The portable kernel's plain C loops load 16 bytes at a time at most: alignment is moot.)
    const int misaligned = K != &shardkit_gemm_portable &&
                           ((uintptr_t)b % (uintptr_t)vectorBytes != 0 || ldb * (long)sizeof(float) % vectorBytes != 0);
    const long packedWidth = (n + K->lanes - 1) / K->lanes * K->lanes;
    float *packed = (misaligned && m >= 32) || (ldb > n && m >= 256) ? pack_buffer(depthBlock * packedWidth) : 0;
    // A read across lines: a tile of 6 rows meets a new line of A at every depth step, shared with
    // the panel's other tiles and column blocks. Over a whole depth block (512 steps for 64
    // columns) those lines and a column block of B (depth × 16 floats) outgrow the 32 KB L1 cache
    // and every tile streams both from L2; 64 steps at a time, a panel's lines of A (about 8 KB)
    // and the B rows of the step (16 KB for 64 columns) stay in L1 while every column block
    // passes, and only the C panel is read again per step (from L1). One thread, Zen 3: conv dW
    // 79-80 -> 84-85 GFLOP/s for 64 columns, 84-85 -> 86 for 128, mnist fc1's dW 73-76 -> 78;
    // 32 steps ran slower than 64, 128 no faster (Benchmarks/RESULTS.md, tenth session). Where
    // A's depth runs along a line (the forward products, a first layer's dW over 1-3 channels) a
    // panel already reuses each line over many steps.
    const long innerDepth = reads_a_across_lines(A, gathered, k) ? 64 : depthBlock;
    const ColumnBlocks cuts = column_blocks(K, n);
    for (long p0 = 0; p0 < k; p0 += depthBlock) {
        long depth = k - p0 < depthBlock ? k - p0 : depthBlock;
        if (packed) {
            for (long block = 0, j0 = 0; block < cuts.blocks; block++) {
                ColumnBlock cb = column_block(&cuts, j0, block);
                float *to = packed + j0 * depth;
                const float *from = b + p0 * ldb + j0;
                for (long p = 0; p < depth; p++) copy_floats(to + p * cb.vectors * K->lanes, from + p * ldb, cb.width);
                j0 += cb.width;
            }
        }
        multiply_block(
            K, m, n, depth, innerDepth, p0, A, gathered, packed ? packed : b + p0 * ldb, ldb, packed != 0, c, ldc,
            accumulate || p0 > 0, p0 + depth >= k, bias, relu);
    }
}

long shardkit_sgemm_depth_block(long n) {
    // The k×n block of B takes a quarter of the L2 cache, so that it stays there beside the rows
    // of A it meets (a convolution's dW reads as many bytes of its padded input as of B) and a
    // column block of it (depth × 16 floats on AVX2) nearly fits the L1 cache. On Zen 3 (512 KiB
    // L2) a quarter ran dW 20-30% faster than half, and 3/16 or an eighth no faster. (The blocks
    // were first a fixed 512 KiB: about half the L2 of the Xeon the kernels were written on, all
    // of Zen 3's.)
    long floats = shardkit_cpu()->l2_bytes / 4 / (long)sizeof(float);
    if (floats < 16384) floats = 16384;
    long depth = floats / (n > 0 ? n : 1);
    return depth < 128 ? 128 : depth;
}

void shardkit_sgemm_tier(
    int tier, long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu) {
    GemmOperand A = {a, rowStride, depthStride, 0, 0};
    multiply(kernel_for(tier), m, n, k, A, 0, b, ldb, c, ldc, accumulate, bias, relu);
}

void shardkit_sgemm_gathered_tier(
    int tier, long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets,
    const float *b, long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    GemmOperand A = {a, 0, 0, rowOffsets, depthOffsets};
    multiply(kernel_for(tier), m, n, k, A, 1, b, ldb, c, ldc, accumulate, bias, relu);
}

void shardkit_sgemm(
    long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu) {
    shardkit_sgemm_tier(
        shardkit_cpu()->tier, m, n, k, a, rowStride, depthStride, b, ldb, c, ldc, accumulate, bias, relu);
}

void shardkit_sgemm_gathered(
    long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu) {
    shardkit_sgemm_gathered_tier(
        shardkit_cpu()->tier, m, n, k, a, rowOffsets, depthOffsets, b, ldb, c, ldc, accumulate, bias, relu);
}

const char *shardkit_sgemm_kernel_name(int tier) { return kernel_for(tier)->name; }
