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
/// written. Runs the kernel of `tier`, clamped like `shardkit_adam_step_tier`.
void shardkit_maxpool_forward_tier(
    int tier, const float *x, long image0, long image1, long h, long w, long c, long oh, long ow, long pool,
    long stride, long padTop, long padLeft, float *y, int *argmax);

/// The input gradient of `shardkit_maxpool_forward_tier` for windows that do not overlap
/// (pool = stride): every element of images [image0, image1) of `dx` (n × h × w × c) is written
/// once, dy of its window where `argmax` names it and 0 elsewhere (also in rows and columns no
/// window reaches).
void shardkit_maxpool_backward_disjoint_tier(
    int tier, const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh,
    long ow, long stride, long padTop, long padLeft, float *dx);

/// The element-wise kernels that `tier` runs after clamping: "avx512", "avx2" or "portable". A
/// static string.
const char *shardkit_elementwise_kernel_name(int tier);

#ifdef __cplusplus
}
#endif
