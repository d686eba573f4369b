#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU can run `shardkit_sgemm` (it has AVX-512F), 0 otherwise. Checked at run time,
/// so the library still loads and runs on CPUs without AVX-512; callers then use BLAS.
int shardkit_sgemm_available(void);

/// Single-precision C = A·B (or C += A·B when `accumulate` is non-zero) without packing either
/// operand, for the shapes of convolution layers: n (the filters) is small, m (the pixels) large.
/// Then, when `bias` is not null, adds bias[j] to every C(i, j), and when `relu` is non-zero,
/// replaces negative results by 0 (both while the tile is still in registers).
///
/// C is m×n row-major with row stride `ldc`; B is k×n row-major with row stride `ldb`. A is
/// addressed through two strides, A(i, p) = a[i·rowStride + p·depthStride], so A stored m×k
/// (rowStride = lda, depthStride = 1) and A stored transposed as k×m (rowStride = 1,
/// depthStride = lda) both work without a copy. Requires `shardkit_sgemm_available()`.
void shardkit_sgemm(
    long m, long n, long k, const float *a, long rowStride, long depthStride, const float *b, long ldb,
    float *c, long ldc, int accumulate, const float *bias, int relu);

/// `shardkit_sgemm` with A given by two offset tables: A(i, p) = a[rowOffsets[i] + depthOffsets[p]]
/// (m and k entries). A convolution's column matrix is such a matrix over its (padded) input, so
/// the convolution needs no im2col copy. Requires `shardkit_sgemm_available()`.
void shardkit_sgemm_gathered(
    long m, long n, long k, const float *a, const long *rowOffsets, const long *depthOffsets, const float *b,
    long ldb, float *c, long ldc, int accumulate, const float *bias, int relu);

#ifdef __cplusplus
}
#endif
