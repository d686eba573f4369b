// Element-wise kernels of the trainer that the Swift code cannot vectorise well: Swift compiles
// for the x86-64 baseline (SSE2), and `SIMD8<Float>.squareRoot()` there becomes eight scalar
// square roots. Each kernel exists as plain C (every CPU) and, on x86-64, as AVX2 and AVX-512
// code compiled with target attributes; shardkit_cpu's tier decides which one runs, as for the
// GEMM. Every variant performs the same IEEE single-precision operations in the same order with
// no fused multiply-adds, so all tiers give identical bits.
#include "elementwise_kernels.h"

#include "shardkit_cpu.h"

// No contraction into FMAs: the portable loop must round every product, as the vector code does.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/// One element of the Adam update (the reference every vector lane matches).
static inline void adam_one(
    float *w, float *m, float *v, float g, float b1, float c1, float b2, float c2, float eps, float step,
    float decay) {
    float mi = b1 * *m + c1 * g;
    float vi = b2 * *v + c2 * g * g;
    *m = mi;
    *v = vi;
    *w = *w * decay - step * mi / (__builtin_sqrtf(vi) + eps);
}

static void adam_portable(
    float *w, float *m, float *v, const float *g, long count, float b1, float c1, float b2, float c2, float eps,
    float step, float decay) {
    for (long i = 0; i < count; i++) adam_one(w + i, m + i, v + i, g[i], b1, c1, b2, c2, eps, step, decay);
}

// MARK: max pooling. Each kernel walks an output pixel's window with the channels in vectors
// held in registers: the first element sets the maximum and its index, later ones replace them
// only where strictly greater (an ordered compare, false for NaN), as the Swift layer defines.

/// The clipped window of output (oy, ox) and the loops over it, shared by every kernel.
#define POOL_WINDOW(oy, ox)                                                                               \
    long wy0 = (oy) * stride - padTop, wx0 = (ox) * stride - padLeft;                                      \
    long y0 = wy0 < 0 ? 0 : wy0, y1 = wy0 + pool < h ? wy0 + pool : h;                                    \
    long x0 = wx0 < 0 ? 0 : wx0, x1 = wx0 + pool < w ? wx0 + pool : w;

/// A value as the pool sees it: v itself, or v·scale + shift and then max(·, 0) when `relu`
/// (0 where the result is ≤ 0, so NaN stays), as the Swift layers compute it.
static inline float pool_load(float v, const float *scale, const float *shift, int relu, long ch) {
    if (!scale) return v;
    float t = v * scale[ch] + shift[ch];
    return relu && t <= 0 ? 0 : t;
}

static void pool_forward_portable(
    const float *x, long xImage, long image0, long image1, long h, long w, long c, long oh, long ow, long pool,
    long stride, long padTop, long padLeft, const float *scale, const float *shift, int relu, float *y, int *argmax) {
    // x holds images from xImage on: element `at` (a flat index in the whole input) is x[at - skip].
    const long skip = xImage * h * w * c;
    for (long b = image0; b < image1; b++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                POOL_WINDOW(oy, ox)
                long out = ((b * oh + oy) * ow + ox) * c;
                for (long ch = 0; ch < c; ch++) {
                    long first = ((b * h + y0) * w + x0) * c + ch;
                    float best = pool_load(x[first - skip], scale, shift, relu, ch);
                    long index = first;
                    for (long iy = y0; iy < y1; iy++)
                        for (long ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
                            long at = ((b * h + iy) * w + ix) * c + ch;
                            float v = pool_load(x[at - skip], scale, shift, relu, ch);
                            if (v > best) {
                                best = v;
                                index = at;
                            }
                        }
                    y[out + ch] = best;
                    argmax[out + ch] = (int)index;
                }
            }
}

static void pool_backward_portable(
    const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh, long ow,
    long stride, long padTop, long padLeft, float *dx) {
    for (long b = image0; b < image1; b++)
        for (long iy = 0; iy < h; iy++) {
            long oy = (iy + padTop) / stride;
            for (long ix = 0; ix < w; ix++) {
                long ox = (ix + padLeft) / stride;
                long base = ((b * h + iy) * w + ix) * c;
                if (oy >= oh || ox >= ow) {
                    for (long ch = 0; ch < c; ch++) dx[base + ch] = 0;
                    continue;
                }
                long o = ((b * oh + oy) * ow + ox) * c;
                for (long ch = 0; ch < c; ch++) dx[base + ch] = argmax[o + ch] == (int)(base + ch) ? dy[o + ch] : 0;
            }
        }
}

// MARK: routing a pool's gradient back to its input. Row r (one pixel, pixels counted image by
// image) of the pool's input takes its gradient from the window holding it; the cursor steps the
// window's coordinates along with r, since divisions per row would cost more than a row of 32
// to 64 channels. (With no pool, `shardkit_bn_gradient` holds 1×1 images and stride 1.)

typedef struct {
    long hw, iy, ix, oy, oyPhase, ox, oxPhase, image;
} route_cursor;

static inline route_cursor route_start(const shardkit_bn_gradient *s, long r) {
    route_cursor at;
    at.hw = s->height * s->width;
    at.image = r / at.hw;
    at.iy = r % at.hw / s->width;
    at.ix = r % s->width;
    at.oy = (at.iy + s->padTop) / s->stride, at.oyPhase = (at.iy + s->padTop) % s->stride;
    at.ox = (at.ix + s->padLeft) / s->stride, at.oxPhase = (at.ix + s->padLeft) % s->stride;
    return at;
}

/// The offset of the cursor's window in the pool's output (c floats a pixel), or -1 for a row
/// no window reaches.
static inline long route_window(const shardkit_bn_gradient *s, const route_cursor *at, long c) {
    if (at->oy >= s->outputHeight || at->ox >= s->outputWidth) return -1;
    return ((at->image * s->outputHeight + at->oy) * s->outputWidth + at->ox) * c;
}

static inline void route_next(const shardkit_bn_gradient *s, route_cursor *at) {
    at->ix++;
    if (++at->oxPhase == s->stride) at->ox++, at->oxPhase = 0;
    if (at->ix < s->width) return;
    at->ix = 0, at->ox = s->padLeft / s->stride, at->oxPhase = s->padLeft % s->stride;
    at->iy++;
    if (++at->oyPhase == s->stride) at->oy++, at->oyPhase = 0;
    if (at->iy < s->height) return;
    at->iy = 0, at->image++;
    at->oy = s->padTop / s->stride, at->oyPhase = s->padTop % s->stride;
}

// MARK: batch norm backward. `bn_row` finds row r (at the cursor)'s gradient row, argmax row (null: not
// pooled) and the flat index of the row's first element, as the Swift layer routes it.

typedef struct {
    const float *g;
    const int *argmax;
    int index;
    int reached;
} bn_row_source;

static inline bn_row_source bn_row(const shardkit_bn_gradient *s, const route_cursor *at, long r, long c) {
    bn_row_source row = {0, 0, (int)(r * c), 1};
    if (!s->argmax) {
        row.g = s->dy + r * c;
        return row;
    }
    long o = route_window(s, at, c);
    if (o < 0) {
        row.reached = 0;
        return row;
    }
    row.g = s->dy + o;
    row.argmax = s->argmax + o;
    return row;
}

/// dz of element j of a row (the scalar reference every vector lane matches).
static inline float bn_dz(bn_row_source row, const float *xr, long j, int relu, const float *a, const float *b) {
    float g = !row.reached ? 0 : row.argmax ? (row.argmax[j] == row.index + (int)j ? row.g[j] : 0) : row.g[j];
    if (relu && xr[j] * a[j] + b[j] <= 0) return 0;
    return g;
}

static void bn_stats_portable(const float *x, long row0, long row1, long c, const float *k, float *s1, float *s2) {
    for (long r = row0; r < row1; r++)
        for (long j = 0; j < c; j++) {
            float d = x[r * c + j] - k[j];
            s1[j] += d;
            s2[j] += d * d;
        }
}

static void bn_sums_portable(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *mean, const float *inv, float *sumDz, float *sumDzX) {
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < c; j++) {
            float dz = bn_dz(row, xr, j, relu, a, b);
            sumDz[j] += dz;
            sumDzX[j] += dz * (xr[j] - mean[j]) * inv[j];
        }
    }
}

static void bn_input_portable(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *k, const float *shift, const float *scale, const float *mean, float *dx) {
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < c; j++) {
            float dz = bn_dz(row, xr, j, relu, a, b);
            dx[r * c + j] = k[j] * dz - shift[j] - scale[j] * (xr[j] - mean[j]);
        }
    }
}

static void pool_relu_gradient_portable(
    const shardkit_bn_gradient *s, const float *pooled, long row0, long row1, long c, float *g, float *sums) {
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        long o = route_window(s, &at, c);
        float *gr = g + (r - row0) * c;
        for (long j = 0; j < c; j++) {
            // The routed gradient, then 0 where the ReLU's output (the pool's, at its argmax) is ≤ 0.
            float v = o < 0 || s->argmax[o + j] != (int)(r * c + j) || pooled[o + j] <= 0 ? 0 : s->dy[o + j];
            gr[j] = v;
            sums[j] += v;
        }
    }
}

// MARK: transposing a matrix, in square blocks so that both sides move a few cache lines at a time.

static void transpose_block_portable(const float *s, long rows, long cols, long ss, float *d, long ds) {
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) d[j * ds + i] = s[i * ss + j];
}

static void transpose_portable(const float *s, long rows, long cols, long ss, float *d, long ds) {
    for (long i0 = 0; i0 < rows; i0 += 16)
        for (long j0 = 0; j0 < cols; j0 += 16)
            transpose_block_portable(
                s + i0 * ss + j0, rows - i0 < 16 ? rows - i0 : 16, cols - j0 < 16 ? cols - j0 : 16, ss,
                d + j0 * ds + i0, ds);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define ELEMENTWISE_X86 1

__attribute__((target("avx2"))) static void adam_avx2(
    float *w, float *m, float *v, const float *g, long count, float b1, float c1, float b2, float c2, float eps,
    float step, float decay) {
    const __m256 vb1 = _mm256_set1_ps(b1), vc1 = _mm256_set1_ps(c1), vb2 = _mm256_set1_ps(b2),
                 vc2 = _mm256_set1_ps(c2), veps = _mm256_set1_ps(eps), vstep = _mm256_set1_ps(step),
                 vdecay = _mm256_set1_ps(decay);
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, gi));
        __m256 vi = _mm256_add_ps(
            _mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 update = _mm256_div_ps(_mm256_mul_ps(vstep, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(w + i), vdecay), update));
    }
    for (; i < count; i++) adam_one(w + i, m + i, v + i, g[i], b1, c1, b2, c2, eps, step, decay);
}

__attribute__((target("avx512f"))) static void adam_avx512(
    float *w, float *m, float *v, const float *g, long count, float b1, float c1, float b2, float c2, float eps,
    float step, float decay) {
    const __m512 vb1 = _mm512_set1_ps(b1), vc1 = _mm512_set1_ps(c1), vb2 = _mm512_set1_ps(b2),
                 vc2 = _mm512_set1_ps(c2), veps = _mm512_set1_ps(eps), vstep = _mm512_set1_ps(step),
                 vdecay = _mm512_set1_ps(decay);
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(vc1, gi));
        __m512 vi = _mm512_add_ps(
            _mm512_mul_ps(vb2, _mm512_loadu_ps(v + i)), _mm512_mul_ps(_mm512_mul_ps(vc2, gi), gi));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 update = _mm512_div_ps(_mm512_mul_ps(vstep, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), veps));
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_mul_ps(_mm512_loadu_ps(w + i), vdecay), update));
    }
    for (; i < count; i++) adam_one(w + i, m + i, v + i, g[i], b1, c1, b2, c2, eps, step, decay);
}
// The vector pooling kernels: channels in vectors of 16 (AVX-512, the last one masked) or 8
// (AVX2, then a scalar tail), each vector's maximum and index kept in registers over the window.

/// `pool_load` for 16 lanes (vs, vb: the lanes' scale and shift).
__attribute__((target("avx512f"))) static inline __m512 pool_load16(
    __m512 v, const float *scale, __m512 vs, __m512 vb, int relu) {
    if (!scale) return v;
    __m512 t = _mm512_add_ps(_mm512_mul_ps(v, vs), vb);
    return relu ? _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_NLE_UQ), t) : t;
}

__attribute__((target("avx512f"))) static void pool_forward_avx512(
    const float *x, long xImage, long image0, long image1, long h, long w, long c, long oh, long ow, long pool,
    long stride, long padTop, long padLeft, const float *scale, const float *shift, int relu, float *y, int *argmax) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // x holds images from xImage on: element `at` (a flat index in the whole input) is x[at - skip].
    const long skip = xImage * h * w * c;
    for (long b = image0; b < image1; b++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                POOL_WINDOW(oy, ox)
                long out = ((b * oh + oy) * ow + ox) * c;
                for (long ch = 0; ch < c; ch += 16) {
                    __mmask16 live = c - ch >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - ch)) - 1);
                    long first = ((b * h + y0) * w + x0) * c + ch;
                    __m512 vs = _mm512_setzero_ps(), vb = _mm512_setzero_ps();
                    if (scale) vs = _mm512_maskz_loadu_ps(live, scale + ch), vb = _mm512_maskz_loadu_ps(live, shift + ch);
                    __m512 best = pool_load16(_mm512_maskz_loadu_ps(live, x + (first - skip)), scale, vs, vb, relu);
                    __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int)first), lanes);
                    for (long iy = y0; iy < y1; iy++)
                        for (long ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
                            long at = ((b * h + iy) * w + ix) * c + ch;
                            __m512 v = pool_load16(_mm512_maskz_loadu_ps(live, x + (at - skip)), scale, vs, vb, relu);
                            __mmask16 greater = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
                            best = _mm512_mask_blend_ps(greater, best, v);
                            index = _mm512_mask_blend_epi32(
                                greater, index, _mm512_add_epi32(_mm512_set1_epi32((int)at), lanes));
                        }
                    _mm512_mask_storeu_ps(y + out + ch, live, best);
                    _mm512_mask_storeu_epi32(argmax + out + ch, live, index);
                }
            }
}

__attribute__((target("avx512f"))) static void pool_backward_avx512(
    const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh, long ow,
    long stride, long padTop, long padLeft, float *dx) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (long b = image0; b < image1; b++)
        for (long iy = 0; iy < h; iy++) {
            long oy = (iy + padTop) / stride;
            for (long ix = 0; ix < w; ix++) {
                long ox = (ix + padLeft) / stride;
                long base = ((b * h + iy) * w + ix) * c;
                int reached = oy < oh && ox < ow;
                long o = ((b * oh + oy) * ow + ox) * c;
                for (long ch = 0; ch < c; ch += 16) {
                    __mmask16 live = c - ch >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - ch)) - 1);
                    __m512 g = _mm512_setzero_ps();
                    if (reached) {
                        __m512i mine = _mm512_add_epi32(_mm512_set1_epi32((int)(base + ch)), lanes);
                        __mmask16 hit =
                            _mm512_mask_cmpeq_epi32_mask(live, _mm512_maskz_loadu_epi32(live, argmax + o + ch), mine);
                        g = _mm512_maskz_loadu_ps(hit, dy + o + ch);
                    }
                    _mm512_mask_storeu_ps(dx + base + ch, live, g);
                }
            }
        }
}

/// `pool_load` for 8 lanes.
__attribute__((target("avx2"))) static inline __m256 pool_load8(
    __m256 v, const float *scale, __m256 vs, __m256 vb, int relu) {
    if (!scale) return v;
    __m256 t = _mm256_add_ps(_mm256_mul_ps(v, vs), vb);
    return relu ? _mm256_and_ps(_mm256_cmp_ps(t, _mm256_setzero_ps(), _CMP_NLE_UQ), t) : t;
}

/// One step of a window's scan: where `v` is strictly greater than `best` (never for a NaN, so a
/// NaN first element stays), it becomes the best and `candidate` (its flat indices) the argmax.
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void pool_keep_greater8(
    __m256 *best, __m256 *index, __m256 v, __m256i candidate) {
    __m256 greater = _mm256_cmp_ps(v, *best, _CMP_GT_OQ);
    *best = _mm256_blendv_ps(*best, v, greater);
    *index = _mm256_blendv_ps(*index, _mm256_castsi256_ps(candidate), greater);
}

__attribute__((target("avx2"))) static void pool_forward_avx2(
    const float *x, long xImage, long image0, long image1, long h, long w, long c, long oh, long ow, long pool,
    long stride, long padTop, long padLeft, const float *scale, const float *shift, int relu, float *y, int *argmax) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const long vc = c & ~7L;
    // x holds images from xImage on: element `at` (a flat index in the whole input) is x[at - skip].
    const long skip = xImage * h * w * c;
    for (long b = image0; b < image1; b++)
        for (long oy = 0; oy < oh; oy++)
            for (long ox = 0; ox < ow; ox++) {
                POOL_WINDOW(oy, ox)
                long out = ((b * oh + oy) * ow + ox) * c;
                long ch = 0;
                if (pool == 2 && stride == 2 && y0 == wy0 && x0 == wx0 && y1 == y0 + 2 && x1 == x0 + 2) {
                    // A whole 2×2 window (every window of the trainer's nets but a last row or
                    // column cut by "same" padding): its four elements at fixed distances, in
                    // the same order and with the same compares as the loops below, without their
                    // index arithmetic and branches (one thread, mnist's pool2 over 64 images:
                    // 0.34 -> 0.15 ms; the AVX-512 kernel has no such path yet).
                    const long first = ((b * h + y0) * w + x0) * c;
                    const float *p = x + (first - skip);
                    const __m256i right = _mm256_set1_epi32((int)c), down = _mm256_set1_epi32((int)(w * c));
                    for (; ch < vc; ch += 8) {
                        __m256 vs = _mm256_setzero_ps(), vb = _mm256_setzero_ps();
                        if (scale) vs = _mm256_loadu_ps(scale + ch), vb = _mm256_loadu_ps(shift + ch);
                        const __m256i i00 = _mm256_add_epi32(_mm256_set1_epi32((int)(first + ch)), lanes);
                        const __m256i i01 = _mm256_add_epi32(i00, right), i10 = _mm256_add_epi32(i00, down);
                        const __m256i i11 = _mm256_add_epi32(i10, right);
                        __m256 best = pool_load8(_mm256_loadu_ps(p + ch), scale, vs, vb, relu);
                        __m256 index = _mm256_castsi256_ps(i00);
                        pool_keep_greater8(
                            &best, &index, pool_load8(_mm256_loadu_ps(p + c + ch), scale, vs, vb, relu), i01);
                        pool_keep_greater8(
                            &best, &index, pool_load8(_mm256_loadu_ps(p + w * c + ch), scale, vs, vb, relu), i10);
                        pool_keep_greater8(
                            &best, &index, pool_load8(_mm256_loadu_ps(p + w * c + c + ch), scale, vs, vb, relu), i11);
                        _mm256_storeu_ps(y + out + ch, best);
                        _mm256_storeu_si256((__m256i *)(argmax + out + ch), _mm256_castps_si256(index));
                    }
                }
                for (; ch < vc; ch += 8) {
                    long first = ((b * h + y0) * w + x0) * c + ch;
                    __m256 vs = _mm256_setzero_ps(), vb = _mm256_setzero_ps();
                    if (scale) vs = _mm256_loadu_ps(scale + ch), vb = _mm256_loadu_ps(shift + ch);
                    __m256 best = pool_load8(_mm256_loadu_ps(x + (first - skip)), scale, vs, vb, relu);
                    __m256 index = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_set1_epi32((int)first), lanes));
                    for (long iy = y0; iy < y1; iy++)
                        for (long ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
                            long at = ((b * h + iy) * w + ix) * c + ch;
                            pool_keep_greater8(
                                &best, &index, pool_load8(_mm256_loadu_ps(x + (at - skip)), scale, vs, vb, relu),
                                _mm256_add_epi32(_mm256_set1_epi32((int)at), lanes));
                        }
                    _mm256_storeu_ps(y + out + ch, best);
                    _mm256_storeu_si256((__m256i *)(argmax + out + ch), _mm256_castps_si256(index));
                }
                for (long ch = vc; ch < c; ch++) {
                    long first = ((b * h + y0) * w + x0) * c + ch;
                    float best = pool_load(x[first - skip], scale, shift, relu, ch);
                    long index = first;
                    for (long iy = y0; iy < y1; iy++)
                        for (long ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++) {
                            long at = ((b * h + iy) * w + ix) * c + ch;
                            float v = pool_load(x[at - skip], scale, shift, relu, ch);
                            if (v > best) {
                                best = v;
                                index = at;
                            }
                        }
                    y[out + ch] = best;
                    argmax[out + ch] = (int)index;
                }
            }
}

__attribute__((target("avx2"))) static void pool_backward_avx2(
    const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh, long ow,
    long stride, long padTop, long padLeft, float *dx) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const long vc = c & ~7L;
    for (long b = image0; b < image1; b++)
        for (long iy = 0; iy < h; iy++) {
            long oy = (iy + padTop) / stride;
            for (long ix = 0; ix < w; ix++) {
                long ox = (ix + padLeft) / stride;
                long base = ((b * h + iy) * w + ix) * c;
                if (oy >= oh || ox >= ow) {
                    for (long ch = 0; ch < c; ch++) dx[base + ch] = 0;
                    continue;
                }
                long o = ((b * oh + oy) * ow + ox) * c;
                for (long ch = 0; ch < vc; ch += 8) {
                    __m256i mine = _mm256_add_epi32(_mm256_set1_epi32((int)(base + ch)), lanes);
                    __m256i hit = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(argmax + o + ch)), mine);
                    _mm256_storeu_ps(dx + base + ch, _mm256_and_ps(_mm256_castsi256_ps(hit), _mm256_loadu_ps(dy + o + ch)));
                }
                for (long ch = vc; ch < c; ch++) dx[base + ch] = argmax[o + ch] == (int)(base + ch) ? dy[o + ch] : 0;
            }
        }
}
// The batch norm passes with channels in vectors: AVX-512 masks the last vector, AVX2 finishes
// with the scalar reference.

/// dz for 16 channels from j (lanes past `live` read as 0 and are never stored).
__attribute__((target("avx512f"))) static inline __m512 bn_dz16(
    bn_row_source row, const float *xr, long j, __mmask16 live, int relu, const float *a, const float *b) {
    __m512 g = _mm512_setzero_ps();
    if (row.reached) {
        if (row.argmax) {
            const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            __m512i mine = _mm512_add_epi32(_mm512_set1_epi32(row.index + (int)j), lanes);
            __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(live, _mm512_maskz_loadu_epi32(live, row.argmax + j), mine);
            g = _mm512_maskz_loadu_ps(hit, row.g + j);
        } else {
            g = _mm512_maskz_loadu_ps(live, row.g + j);
        }
    }
    if (relu) {
        __m512 y = _mm512_add_ps(
            _mm512_mul_ps(_mm512_maskz_loadu_ps(live, xr + j), _mm512_maskz_loadu_ps(live, a + j)),
            _mm512_maskz_loadu_ps(live, b + j));
        g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NLE_UQ), g);
    }
    return g;
}

__attribute__((target("avx512f"))) static void bn_stats_avx512(
    const float *x, long row0, long row1, long c, const float *k, float *s1, float *s2) {
    for (long r = row0; r < row1; r++)
        for (long j = 0; j < c; j += 16) {
            __mmask16 live = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, x + r * c + j), _mm512_maskz_loadu_ps(live, k + j));
            _mm512_mask_storeu_ps(s1 + j, live, _mm512_add_ps(_mm512_maskz_loadu_ps(live, s1 + j), d));
            _mm512_mask_storeu_ps(s2 + j, live, _mm512_add_ps(_mm512_maskz_loadu_ps(live, s2 + j), _mm512_mul_ps(d, d)));
        }
}

__attribute__((target("avx512f"))) static void bn_sums_avx512(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *mean, const float *inv, float *sumDz, float *sumDzX) {
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < c; j += 16) {
            __mmask16 live = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            __m512 dz = bn_dz16(row, xr, j, live, relu, a, b);
            __m512 centred = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, xr + j), _mm512_maskz_loadu_ps(live, mean + j));
            _mm512_mask_storeu_ps(sumDz + j, live, _mm512_add_ps(_mm512_maskz_loadu_ps(live, sumDz + j), dz));
            _mm512_mask_storeu_ps(
                sumDzX + j, live,
                _mm512_add_ps(
                    _mm512_maskz_loadu_ps(live, sumDzX + j),
                    _mm512_mul_ps(_mm512_mul_ps(dz, centred), _mm512_maskz_loadu_ps(live, inv + j))));
        }
    }
}

__attribute__((target("avx512f"))) static void bn_input_avx512(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *k, const float *shift, const float *scale, const float *mean, float *dx) {
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < c; j += 16) {
            __mmask16 live = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            __m512 dz = bn_dz16(row, xr, j, live, relu, a, b);
            __m512 centred = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, xr + j), _mm512_maskz_loadu_ps(live, mean + j));
            __m512 v = _mm512_sub_ps(
                _mm512_sub_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(live, k + j), dz), _mm512_maskz_loadu_ps(live, shift + j)),
                _mm512_mul_ps(_mm512_maskz_loadu_ps(live, scale + j), centred));
            _mm512_mask_storeu_ps(dx + r * c + j, live, v);
        }
    }
}

/// dz for 8 channels from j (all eight exist).
__attribute__((target("avx2"))) static inline __m256 bn_dz8(
    bn_row_source row, const float *xr, long j, int relu, const float *a, const float *b) {
    __m256 g = _mm256_setzero_ps();
    if (row.reached) {
        g = _mm256_loadu_ps(row.g + j);
        if (row.argmax) {
            __m256i mine = _mm256_add_epi32(_mm256_set1_epi32(row.index + (int)j), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            __m256i hit = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(row.argmax + j)), mine);
            g = _mm256_and_ps(_mm256_castsi256_ps(hit), g);
        }
    }
    if (relu) {
        __m256 y = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(xr + j), _mm256_loadu_ps(a + j)), _mm256_loadu_ps(b + j));
        g = _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_NLE_UQ), g);
    }
    return g;
}

__attribute__((target("avx2"))) static void bn_stats_avx2(
    const float *x, long row0, long row1, long c, const float *k, float *s1, float *s2) {
    const long vc = c & ~7L;
    for (long r = row0; r < row1; r++) {
        for (long j = 0; j < vc; j += 8) {
            __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + r * c + j), _mm256_loadu_ps(k + j));
            _mm256_storeu_ps(s1 + j, _mm256_add_ps(_mm256_loadu_ps(s1 + j), d));
            _mm256_storeu_ps(s2 + j, _mm256_add_ps(_mm256_loadu_ps(s2 + j), _mm256_mul_ps(d, d)));
        }
        for (long j = vc; j < c; j++) {
            float d = x[r * c + j] - k[j];
            s1[j] += d;
            s2[j] += d * d;
        }
    }
}

__attribute__((target("avx2"))) static void bn_sums_avx2(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *mean, const float *inv, float *sumDz, float *sumDzX) {
    const long vc = c & ~7L;
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < vc; j += 8) {
            __m256 dz = bn_dz8(row, xr, j, relu, a, b);
            __m256 centred = _mm256_sub_ps(_mm256_loadu_ps(xr + j), _mm256_loadu_ps(mean + j));
            _mm256_storeu_ps(sumDz + j, _mm256_add_ps(_mm256_loadu_ps(sumDz + j), dz));
            _mm256_storeu_ps(
                sumDzX + j, _mm256_add_ps(_mm256_loadu_ps(sumDzX + j), _mm256_mul_ps(_mm256_mul_ps(dz, centred), _mm256_loadu_ps(inv + j))));
        }
        for (long j = vc; j < c; j++) {
            float dz = bn_dz(row, xr, j, relu, a, b);
            sumDz[j] += dz;
            sumDzX[j] += dz * (xr[j] - mean[j]) * inv[j];
        }
    }
}

__attribute__((target("avx2"))) static void bn_input_avx2(
    const shardkit_bn_gradient *s, const float *x, long row0, long row1, long c, int relu, const float *a,
    const float *b, const float *k, const float *shift, const float *scale, const float *mean, float *dx) {
    const long vc = c & ~7L;
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        bn_row_source row = bn_row(s, &at, r, c);
        const float *xr = x + r * c;
        for (long j = 0; j < vc; j += 8) {
            __m256 dz = bn_dz8(row, xr, j, relu, a, b);
            __m256 centred = _mm256_sub_ps(_mm256_loadu_ps(xr + j), _mm256_loadu_ps(mean + j));
            __m256 v = _mm256_sub_ps(
                _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(k + j), dz), _mm256_loadu_ps(shift + j)),
                _mm256_mul_ps(_mm256_loadu_ps(scale + j), centred));
            _mm256_storeu_ps(dx + r * c + j, v);
        }
        for (long j = vc; j < c; j++) {
            float dz = bn_dz(row, xr, j, relu, a, b);
            dx[r * c + j] = k[j] * dz - shift[j] - scale[j] * (xr[j] - mean[j]);
        }
    }
}
__attribute__((target("avx512f"))) static void pool_relu_gradient_avx512(
    const shardkit_bn_gradient *s, const float *pooled, long row0, long row1, long c, float *g, float *sums) {
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        long o = route_window(s, &at, c);
        float *gr = g + (r - row0) * c;
        for (long j = 0; j < c; j += 16) {
            __mmask16 live = c - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (c - j)) - 1);
            __m512 v = _mm512_setzero_ps();
            if (o >= 0) {
                __m512i mine = _mm512_add_epi32(_mm512_set1_epi32((int)(r * c + j)), lanes);
                __mmask16 hit =
                    _mm512_mask_cmpeq_epi32_mask(live, _mm512_maskz_loadu_epi32(live, s->argmax + o + j), mine);
                __mmask16 positive =
                    _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(live, pooled + o + j), _mm512_setzero_ps(), _CMP_NLE_UQ);
                v = _mm512_maskz_loadu_ps(hit & positive, s->dy + o + j);
            }
            _mm512_mask_storeu_ps(gr + j, live, v);
            _mm512_mask_storeu_ps(sums + j, live, _mm512_add_ps(_mm512_maskz_loadu_ps(live, sums + j), v));
        }
    }
}

/// The routed, ReLU-masked gradient of 8 channels of a row whose window's outputs start at `o`
/// (`mine` holds the row's flat indices of those channels): dy where the argmax names the element
/// and the pool's output is > 0, else 0.
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) __m256 routed_relu8(
    const shardkit_bn_gradient *s, const float *pooled, long o, __m256i mine) {
    __m256 hit = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(s->argmax + o)), mine));
    __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(pooled + o), _mm256_setzero_ps(), _CMP_NLE_UQ);
    return _mm256_and_ps(_mm256_and_ps(hit, positive), _mm256_loadu_ps(s->dy + o));
}

/// `pool_relu_gradient_avx2` for c = 8·groups channels (groups ≤ 8, a constant at each call):
/// the column sums stay in registers from the first row to the last instead of going through
/// memory at every row, the same additions in the same order.
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) void pool_relu_gradient_avx2_groups(
    const shardkit_bn_gradient *s, const float *pooled, long row0, long row1, const int groups, float *g,
    float *sums) {
    const long c = 8L * groups;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), eight = _mm256_set1_epi32(8);
    __m256 acc[8];
#pragma clang loop unroll(full)
    for (int q = 0; q < groups; q++) acc[q] = _mm256_loadu_ps(sums + 8 * q);
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        long o = route_window(s, &at, c);
        float *gr = g + (r - row0) * c;
        __m256i mine = _mm256_add_epi32(_mm256_set1_epi32((int)(r * c)), lanes);
#pragma clang loop unroll(full)
        for (int q = 0; q < groups; q++) {
            __m256 v = o >= 0 ? routed_relu8(s, pooled, o + 8 * q, mine) : _mm256_setzero_ps();
            _mm256_storeu_ps(gr + 8 * q, v);
            acc[q] = _mm256_add_ps(acc[q], v);
            mine = _mm256_add_epi32(mine, eight);
        }
    }
#pragma clang loop unroll(full)
    for (int q = 0; q < groups; q++) _mm256_storeu_ps(sums + 8 * q, acc[q]);
}

__attribute__((target("avx2"))) static void pool_relu_gradient_avx2(
    const shardkit_bn_gradient *s, const float *pooled, long row0, long row1, long c, float *g, float *sums) {
    switch (c) {
    case 16: pool_relu_gradient_avx2_groups(s, pooled, row0, row1, 2, g, sums); return;
    case 32: pool_relu_gradient_avx2_groups(s, pooled, row0, row1, 4, g, sums); return;
    case 48: pool_relu_gradient_avx2_groups(s, pooled, row0, row1, 6, g, sums); return;
    case 64: pool_relu_gradient_avx2_groups(s, pooled, row0, row1, 8, g, sums); return;
    default: break;
    }
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const long vc = c & ~7L;
    route_cursor at = route_start(s, row0);
    for (long r = row0; r < row1; r++, route_next(s, &at)) {
        long o = route_window(s, &at, c);
        float *gr = g + (r - row0) * c;
        for (long j = 0; j < vc; j += 8) {
            __m256i mine = _mm256_add_epi32(_mm256_set1_epi32((int)(r * c + j)), lanes);
            __m256 v = o >= 0 ? routed_relu8(s, pooled, o + j, mine) : _mm256_setzero_ps();
            _mm256_storeu_ps(gr + j, v);
            _mm256_storeu_ps(sums + j, _mm256_add_ps(_mm256_loadu_ps(sums + j), v));
        }
        for (long j = vc; j < c; j++) {
            float v = o < 0 || s->argmax[o + j] != (int)(r * c + j) || pooled[o + j] <= 0 ? 0 : s->dy[o + j];
            gr[j] = v;
            sums[j] += v;
        }
    }
}
/// An 8×8 block through registers: rows of s in, rows of d (its columns) out.
__attribute__((target("avx2"))) static inline void transpose8x8_avx2(const float *s, long ss, float *d, long ds) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s + i * ss);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(d + i * ds, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(d + (i + 4) * ds, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
}

/// Both x86 tiers: 8×8 blocks in registers inside 32×32 blocks, the edges element by element.
__attribute__((target("avx2"))) static void transpose_avx2(
    const float *s, long rows, long cols, long ss, float *d, long ds) {
    const long rows8 = rows & ~7L, cols8 = cols & ~7L;
    for (long i0 = 0; i0 < rows8; i0 += 32)
        for (long j0 = 0; j0 < cols8; j0 += 32)
            for (long i = i0; i < i0 + 32 && i < rows8; i += 8)
                for (long j = j0; j < j0 + 32 && j < cols8; j += 8)
                    transpose8x8_avx2(s + i * ss + j, ss, d + j * ds + i, ds);
    if (cols8 < cols) transpose_block_portable(s + cols8, rows, cols - cols8, ss, d + cols8 * ds, ds);
    if (rows8 < rows) transpose_block_portable(s + rows8 * ss, rows - rows8, cols8, ss, d + rows8, ds);
}
#endif


void shardkit_adam_step_tier(
    int tier, float *w, float *m, float *v, const float *g, long count, float beta1, float oneMinusBeta1,
    float beta2, float oneMinusBeta2, float epsilon, float stepSize, float decay) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
        adam_avx512(w, m, v, g, count, beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, decay);
        return;
    case SHARDKIT_TIER_AVX2:
        adam_avx2(w, m, v, g, count, beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, decay);
        return;
#endif
    default:
        adam_portable(w, m, v, g, count, beta1, oneMinusBeta1, beta2, oneMinusBeta2, epsilon, stepSize, decay);
    }
}

void shardkit_maxpool_forward_tier(
    int tier, const float *x, long xImage, long image0, long image1, long h, long w, long c, long oh, long ow,
    long pool, long stride, long padTop, long padLeft, const float *scale, const float *shift, int relu, float *y,
    int *argmax) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
        pool_forward_avx512(
            x, xImage, image0, image1, h, w, c, oh, ow, pool, stride, padTop, padLeft, scale, shift, relu, y, argmax);
        return;
    case SHARDKIT_TIER_AVX2:
        pool_forward_avx2(
            x, xImage, image0, image1, h, w, c, oh, ow, pool, stride, padTop, padLeft, scale, shift, relu, y, argmax);
        return;
#endif
    default: pool_forward_portable(
            x, xImage, image0, image1, h, w, c, oh, ow, pool, stride, padTop, padLeft, scale, shift, relu, y, argmax);
    }
}

void shardkit_maxpool_backward_disjoint_tier(
    int tier, const float *dy, const int *argmax, long image0, long image1, long h, long w, long c, long oh,
    long ow, long stride, long padTop, long padLeft, float *dx) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
        pool_backward_avx512(dy, argmax, image0, image1, h, w, c, oh, ow, stride, padTop, padLeft, dx);
        return;
    case SHARDKIT_TIER_AVX2:
        pool_backward_avx2(dy, argmax, image0, image1, h, w, c, oh, ow, stride, padTop, padLeft, dx);
        return;
#endif
    default: pool_backward_portable(dy, argmax, image0, image1, h, w, c, oh, ow, stride, padTop, padLeft, dx);
    }
}

void shardkit_bn_forward_sums_tier(
    int tier, const float *x, long row0, long row1, long channels, const float *k, float *sum, float *sumSquares) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512: bn_stats_avx512(x, row0, row1, channels, k, sum, sumSquares); return;
    case SHARDKIT_TIER_AVX2: bn_stats_avx2(x, row0, row1, channels, k, sum, sumSquares); return;
#endif
    default: bn_stats_portable(x, row0, row1, channels, k, sum, sumSquares);
    }
}

void shardkit_bn_backward_sums_tier(
    int tier, shardkit_bn_gradient source, const float *x, long row0, long row1, long channels, int relu,
    const float *a, const float *b, const float *mean, const float *inverseStd, float *sumDz, float *sumDzX) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
        bn_sums_avx512(&source, x, row0, row1, channels, relu, a, b, mean, inverseStd, sumDz, sumDzX);
        return;
    case SHARDKIT_TIER_AVX2:
        bn_sums_avx2(&source, x, row0, row1, channels, relu, a, b, mean, inverseStd, sumDz, sumDzX);
        return;
#endif
    default: bn_sums_portable(&source, x, row0, row1, channels, relu, a, b, mean, inverseStd, sumDz, sumDzX);
    }
}

void shardkit_bn_backward_input_tier(
    int tier, shardkit_bn_gradient source, const float *x, long row0, long row1, long channels, int relu,
    const float *a, const float *b, const float *k, const float *shift, const float *scale, const float *mean,
    float *dx) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
        bn_input_avx512(&source, x, row0, row1, channels, relu, a, b, k, shift, scale, mean, dx);
        return;
    case SHARDKIT_TIER_AVX2:
        bn_input_avx2(&source, x, row0, row1, channels, relu, a, b, k, shift, scale, mean, dx);
        return;
#endif
    default: bn_input_portable(&source, x, row0, row1, channels, relu, a, b, k, shift, scale, mean, dx);
    }
}

void shardkit_pool_relu_gradient_tier(
    int tier, shardkit_bn_gradient source, const float *pooled, long row0, long row1, long channels, float *g,
    float *sums) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512: pool_relu_gradient_avx512(&source, pooled, row0, row1, channels, g, sums); return;
    case SHARDKIT_TIER_AVX2: pool_relu_gradient_avx2(&source, pooled, row0, row1, channels, g, sums); return;
#endif
    default: pool_relu_gradient_portable(&source, pooled, row0, row1, channels, g, sums);
    }
}

void shardkit_transpose_tier(
    int tier, const float *source, long rows, long cols, long sourceStride, float *destination,
    long destinationStride) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512:
    case SHARDKIT_TIER_AVX2:
        transpose_avx2(source, rows, cols, sourceStride, destination, destinationStride);
        return;
#endif
    default: transpose_portable(source, rows, cols, sourceStride, destination, destinationStride);
    }
}

const char *shardkit_elementwise_kernel_name(int tier) {
    switch (shardkit_cpu_clamp_tier(tier)) {
#ifdef ELEMENTWISE_X86
    case SHARDKIT_TIER_AVX512: return "avx512";
    case SHARDKIT_TIER_AVX2: return "avx2";
#endif
    default: return "portable";
    }
}
