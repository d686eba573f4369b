#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One Adam update of `count` parameters, element by element:
///
///     m ← β₁·m + (1 − β₁)·g
///     v ← β₂·v + (1 − β₂)·g·g
///     w ← w·decay − stepSize·m / (√v + ε)
///
/// in exactly this order of single-precision operations, none fused, so every tier gives the
/// same bits as the others and as the trainer's Swift reference. `oneMinusBeta1` and
/// `oneMinusBeta2` are passed in (the caller rounds them once). Runs the vector kernel of `tier`
/// (a `SHARDKIT_TIER_*`, clamped by `shardkit_cpu_clamp_tier`, so any value is safe).
void shardkit_adam_step_tier(
    int tier, float *w, float *m, float *v, const float *g, long count, float beta1, float oneMinusBeta1,
    float beta2, float oneMinusBeta2, float epsilon, float stepSize, float decay);

/// Max pooling of images [image0, image1) of the NHWC tensor `x` (n × h × w × c): output pixel
/// (oy, ox) takes the window of rows oy·stride − padTop ..< + pool and columns ox·stride −
/// padLeft ..< + pool, clipped to the image. For each channel it writes the largest value to `y`
/// (n × oh × ow × c) and its flat index in `x` to `argmax`: the first element of the window in
/// row-major order, replaced only by a strictly greater one (so a NaN first element stays, and
/// later NaNs are skipped). `y` and `argmax` are the whole tensors; only the images' part is
/// written. `x` holds the input from image `xImage` on (0: the whole tensor; image0 ≥ xImage),
/// so a caller can pool a few images as they are made, with argmax still naming flat indices in
/// the whole input. Runs the kernel of `tier`, clamped like `shardkit_adam_step_tier`.
///
/// When `scale` is not null, each value v is pooled as v·scale[ch] + shift[ch] (then max(·, 0)
/// when `relu`, with NaN kept), transformed as it is loaded: a batch norm's output pooled
/// without being written, with the bits the separate layers would give.
void shardkit_maxpool_forward_tier(
    int tier, const float *x, long xImage, long image0, long image1, long h, long w, long c, long oh, long ow,
    long pool, long stride, long padTop, long padLeft, const float *scale, const float *shift, int relu, float *y,
    int *argmax);

/// A batch norm's statistics pass over rows [row0, row1) of x (`channels` floats each): with
/// d = x − k (k one reference row), adds d into `sum[j]` and d·d into `sumSquares[j]`, row by
/// row in single precision, the same bits at every tier.
void shardkit_bn_forward_sums_tier(
    int tier, const float *x, long row0, long row1, long channels, const float *k, float *sum, float *sumSquares);

/// The input gradient of `shardkit_maxpool_forward_tier` for windows that do not overlap
/// (pool = stride): every element of images [image0, image1) of `dx` (n × h × w × c) is written
/// once, dy of its window where `argmax` names it and 0 elsewhere (also in rows and columns no
/// window reaches).
void shardkit_maxpool_backward_disjoint_tier(
    int tier, const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh,
    long ow, long stride, long padTop, long padLeft, float *dx);

/// Where a batch norm's backward finds the gradient at its output for row r (one position of
/// `channels` values): `dy + r·channels` when `argmax` is null, otherwise routed through a max
/// pool over disjoint windows that followed it: `dy` and `argmax` are the pool's output
/// gradient and argmax (outputHeight × outputWidth per image), and a value reaches element i of
/// the row only where argmax names it (r·channels + i); rows no window reaches get 0.
typedef struct {
    const float *dy;
    const int *argmax;
    long height, width, outputHeight, outputWidth, stride, padTop, padLeft;
} shardkit_bn_gradient;

/// The first pass of a batch norm's backward over rows [row0, row1) of x (`channels` floats
/// each): with dz the gradient at the batch norm's output (from `source`; when `relu`, zeroed
/// where x·a + b ≤ 0, a and b the training forward's scale and shift), adds Σ dz into
/// `sumDz[j]` and Σ dz·(x − mean)·inverseStd into `sumDzX[j]`, row by row, in single precision,
/// operations in that order and unfused, so every tier gives the same bits.
void shardkit_bn_backward_sums_tier(
    int tier, shardkit_bn_gradient source, const float *x, long row0, long row1, long channels, int relu,
    const float *a, const float *b, const float *mean, const float *inverseStd, float *sumDz, float *sumDzX);

/// The second pass: dx = k·dz − shift − scale·(x − mean) per channel over rows [row0, row1),
/// dz as in `shardkit_bn_backward_sums_tier` (recomputed, not stored), into `dx` (laid out
/// like x).
void shardkit_bn_backward_input_tier(
    int tier, shardkit_bn_gradient source, const float *x, long row0, long row1, long channels, int relu,
    const float *a, const float *b, const float *k, const float *shift, const float *scale, const float *mean,
    float *dx);

/// The gradient at the output of a convolution with a fused ReLU that a max pool over disjoint
/// windows followed, for rows [row0, row1) of that output (`channels` floats each, rows counted
/// pixel by pixel, image by image), without the pool's full-size input gradient: `source` holds
/// the pool's output gradient, argmax and geometry (as for a batch norm before a pool), `pooled`
/// the pool's output. Element j of row r gets dy of its window where argmax names it
/// (r·channels + j), else 0, and 0 where the pool's output there is ≤ 0 (the ReLU's output at
/// the argmax); rows no window reaches get 0. Writes row r at g + (r − row0)·channels and adds
/// each value into sums[j], row by row in order, so every tier gives the same bits.
void shardkit_pool_relu_gradient_tier(
    int tier, shardkit_bn_gradient source, const float *pooled, long row0, long row1, long channels, float *g,
    float *sums);

/// destination[j·destinationStride + i] = source[i·sourceStride + j] for a rows × cols matrix:
/// 8×8 blocks through vector registers at the x86 tiers (AVX-512 uses the AVX2 blocks), square
/// blocks of plain C elsewhere. The matrices must not overlap.
void shardkit_transpose_tier(
    int tier, const float *source, long rows, long cols, long sourceStride, float *destination,
    long destinationStride);

/// The element-wise kernels that `tier` runs after clamping: "avx512", "avx2" or "portable". A
/// static string.
const char *shardkit_elementwise_kernel_name(int tier);

#ifdef __cplusplus
}
#endif
