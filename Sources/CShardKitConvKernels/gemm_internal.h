// Shared by the GEMM driver (gemm_kernels.c) and the kernels of each tier (gemm_portable.c,
// gemm_x86.c): a kernel is a table of register tiles, and one driver blocks every kernel's work.
#pragma once

/// Where A(i, p) lives: a[i·rowStride + p·depthStride] when the tables are null, otherwise
/// a[rowOffsets[i] + depthOffsets[p]].
typedef struct {
    const float *a;
    long rowStride, depthStride;
    const long *rowOffsets, *depthOffsets;
} GemmOperand;

/// One register tile of a fixed height and width (known to the tile): C(i0 + r, j) for the
/// tile's rows r and columns j < lanes·(vectors − 1) + lastWidth, summed over depths p0 ..< p0 + k.
/// `b` and `c` point at the tile's first column (B at depth p0, C at row i0). Then C is added
/// when `accumulate`, the bias when not null, and the ReLU applied when `relu`.
typedef void (*GemmTile)(
    int lastWidth, long k, GemmOperand A, long i0, long p0, const float *b, long ldb, float *c, long ldc,
    int accumulate, const float *bias, int relu);

enum { GEMM_MAX_VECTORS = 4, GEMM_MAX_ROWS = 12 };

/// A kernel: tiles of 1 ... maxVectors vectors of `lanes` floats, each 1 ... maxRows[g][vectors]
/// rows tall, for strided (g = 0) and gathered (g = 1) A. Gathered tiles keep a row offset per
/// row in a general register, so they may be shorter than strided ones.
typedef struct {
    const char *name;
    int lanes;
    int maxVectors;
    int maxRows[2][GEMM_MAX_VECTORS + 1];
    GemmTile tiles[2][GEMM_MAX_VECTORS + 1][GEMM_MAX_ROWS + 1];
} GemmKernel;

extern const GemmKernel shardkit_gemm_portable;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SHARDKIT_GEMM_X86 1
extern const GemmKernel shardkit_gemm_avx2;
extern const GemmKernel shardkit_gemm_avx512;
#endif
