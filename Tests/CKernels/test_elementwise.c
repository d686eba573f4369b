// The trainer's element-wise kernels (Sources/CShardKitConvKernels/elementwise_kernels.c): the Adam
// step of the tier in force against a single-precision reference written here with the same
// operations in the same order (so the bits must agree exactly, on every tier and architecture),
// and against a double-precision evaluation of the formula (so the order itself is Adam's).
// Lengths around the 8- and 16-lane vectors, unaligned starts, and moments near zero. Max pooling
// forward (of plain and of normalised values) and (for disjoint windows) backward against
// pooling written out here: values, the
// index of each maximum (the first in window order, replaced only by a strictly greater value)
// and the routed gradient, bit for bit, with ties and NaNs, clipped windows, padding before,
// rows no window reaches, and channel counts around the vectors. The batch norm's backward
// passes against the same passes written out here, gradients laid out like the input or routed
// through a pool's argmax, with and without the ReLU mask, bit for bit. The transpose against
// element-by-element moves.
#include "ck.h"
#include "elementwise_kernels.h"
#include "shardkit_cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static void adam_reference(
    float *w, float *m, float *v, const float *g, long count, float b1, float b2, float eps, float step,
    float decay) {
    float c1 = 1 - b1, c2 = 1 - b2;
    for (long i = 0; i < count; i++) {
        float mi = b1 * m[i] + c1 * g[i];
        float vi = b2 * v[i] + c2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * decay - step * mi / (sqrtf(vi) + eps);
    }
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

// The transpose: sizes around the 8×8 register blocks and the 32×32 cache blocks, and the
// trainer's fc1 shapes, with row strides wider than the matrices; the destination's padding
// between rows must stay untouched.
static void test_transpose(int tier, ck_rng *rng) {
    static const long shapes[][2] = {{1, 1}, {1, 9}, {7, 1}, {8, 8}, {9, 7}, {17, 33}, {40, 24}, {64, 65}, {128, 512}};
    ck_begin("transpose (%s kernel): every element moved, nothing else written",
             shardkit_elementwise_kernel_name(tier));
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        long rows = shapes[k][0], cols = shapes[k][1], ss = cols + (long)(k % 3), ds = rows + (long)(k % 2) * 5;
        size_t sourceSize = (size_t)((rows - 1) * ss + cols), destinationSize = (size_t)((cols - 1) * ds + rows);
        float *source = ck_alloc(sourceSize * sizeof(float)), *destination = ck_alloc(destinationSize * sizeof(float));
        for (size_t i = 0; i < sourceSize; i++) source[i] = ck_unit(rng);
        for (size_t i = 0; i < destinationSize; i++) destination[i] = -7.5f;
        shardkit_transpose_tier(tier, source, rows, cols, ss, destination, ds);
        for (long j = 0; j < cols; j++)
            for (long i = 0; i < ds && j * ds + i < (long)destinationSize; i++) {
                float want = i < rows ? source[i * ss + j] : -7.5f;
                CK_CHECK(same_bits(destination[j * ds + i], want), "%ldx%ld: d[%ld][%ld] = %.9g, expected %.9g", rows,
                         cols, j, i, destination[j * ds + i], want);
            }
        free(source);
        free(destination);
    }
    ck_end();
}

void test_elementwise(void) {
    int tier = shardkit_cpu()->tier;
    ck_rng rng = {ck_seed() ^ 0x4164616D00ull};
    static const long counts[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 4099};
    ck_begin("adam step (%s kernel): same bits as the reference, close to the formula in double",
             shardkit_elementwise_kernel_name(tier));
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        long count = counts[c];
        long offset = (long)(c % 3);  // unaligned starts
        size_t floats = (size_t)(count + offset + 1);
        float *w = ck_alloc(floats * sizeof(float)), *m = ck_alloc(floats * sizeof(float));
        float *v = ck_alloc(floats * sizeof(float)), *g = ck_alloc(floats * sizeof(float));
        float *rw = ck_alloc(floats * sizeof(float)), *rm = ck_alloc(floats * sizeof(float));
        float *rv = ck_alloc(floats * sizeof(float));
        for (size_t i = 0; i < floats; i++) {
            w[i] = rw[i] = ck_unit(&rng);
            g[i] = ck_unit(&rng) * (i % 5 == 0 ? 1e-3f : 1.0f);
            m[i] = rm[i] = i % 4 == 0 ? 0 : 0.1f * ck_unit(&rng);
            v[i] = rv[i] = i % 4 == 0 ? 0 : 0.01f * fabsf(ck_unit(&rng));
        }
        float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f, step = 0.003f, decay = 1 - 0.01f * 0.1f;
        shardkit_adam_step_tier(
            tier, w + offset, m + offset, v + offset, g + offset, count, b1, 1 - b1, b2, 1 - b2, eps, step, decay);
        adam_reference(rw + offset, rm + offset, rv + offset, g + offset, count, b1, b2, eps, step, decay);
        for (size_t i = 0; i < floats; i++) {
            CK_CHECK(same_bits(w[i], rw[i]) && same_bits(m[i], rm[i]) && same_bits(v[i], rv[i]),
                     "count %ld, element %zu: w %.9g/%.9g m %.9g/%.9g v %.9g/%.9g", count, i, w[i], rw[i], m[i],
                     rm[i], v[i], rv[i]);
        }
        // One first step from zero moments, in double precision: w·decay − step·m/(√v + ε).
        {
            float w0 = ck_unit(&rng), g0 = ck_unit(&rng);
            float one[3] = {w0, 0, 0};
            shardkit_adam_step_tier(tier, one, one + 1, one + 2, &g0, 1, b1, 1 - b1, b2, 1 - b2, eps, step, decay);
            double md = 0.1 * g0, vd = 0.001 * (double)g0 * g0;
            double wd = w0 * (double)decay - step * md / (sqrt(vd) + eps);
            CK_CHECK(fabs(one[0] - wd) <= 1e-6 * (1 + fabs(wd)), "first step %.9g, in double %.9g", one[0], wd);
        }
        free(w); free(m); free(v); free(g); free(rw); free(rm); free(rv);
    }
    ck_end();
    test_transpose(tier, &rng);
}

typedef struct {
    long n, h, w, c, pool, stride, padTop, padLeft;
} pool_case;

static long pool_extent(long input, long pool, long stride, int same) {
    return same ? (input + stride - 1) / stride : (input - pool) / stride + 1;
}

void test_pooling(void) {
    int tier = shardkit_cpu()->tier;
    ck_rng rng = {ck_seed() ^ 0x506F6F6C00ull};
    // {n, h, w, c, pool, stride, padTop, padLeft, same}: "same" sizes the output ⌈input / stride⌉.
    static const long cases[][9] = {
        {2, 6, 8, 19, 2, 2, 0, 0, 0}, {3, 7, 5, 20, 2, 2, 0, 0, 1}, {1, 5, 5, 8, 2, 2, 0, 0, 0},
        {2, 8, 7, 33, 3, 3, 0, 1, 1}, {2, 9, 9, 16, 3, 2, 0, 0, 0}, {1, 4, 6, 1, 2, 2, 0, 0, 1},
        {2, 14, 14, 64, 2, 2, 0, 0, 0}, {1, 5, 7, 17, 3, 3, 1, 1, 1},
        // 16, 32 and 48 channels: the routed gradient's kernels for whole vectors of channels
        // (sums kept in registers), with rows no window reaches (7×9 "valid") and cut windows.
        {2, 6, 6, 32, 2, 2, 0, 0, 1}, {1, 7, 9, 48, 2, 2, 0, 0, 0}, {2, 5, 4, 16, 2, 2, 0, 0, 1},
    };
    ck_begin("max pool forward, disjoint backward and a ReLU convolution's routed gradient (%s kernel): "
             "same bits as written out",
             shardkit_elementwise_kernel_name(tier));
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        long n = cases[k][0], h = cases[k][1], w = cases[k][2], c = cases[k][3], pool = cases[k][4];
        long stride = cases[k][5], padTop = cases[k][6], padLeft = cases[k][7];
        int same = (int)cases[k][8];
        long oh = pool_extent(h, pool, stride, same), ow = pool_extent(w, pool, stride, same);
        size_t in = (size_t)(n * h * w * c), out = (size_t)(n * oh * ow * c);
        float *x = ck_alloc(in * sizeof(float)), *y = ck_alloc(out * sizeof(float));
        float *dy = ck_alloc(out * sizeof(float)), *dx = ck_alloc(in * sizeof(float));
        float *expectDx = ck_alloc(in * sizeof(float));
        int *argmax = ck_alloc(out * sizeof(int));
        for (size_t i = 0; i < in; i++) x[i] = i % 37 == 5 ? NAN : (float)ck_below(&rng, 4) - 1;
        for (size_t i = 0; i < out; i++) dy[i] = ck_unit(&rng);
        // Odd cases pool a normalised input, v·scale + shift then the ReLU (NaN kept), as a
        // batch norm before the pool would give it.
        int normalised = (int)(k & 1);
        float scale[64], shift[64];
        for (long j = 0; j < c; j++) {
            scale[j] = ck_unit(&rng) * 2;
            shift[j] = ck_unit(&rng);
        }
        const float *s = normalised ? scale : 0, *t = normalised ? shift : 0;
        float *seen = ck_alloc(in * sizeof(float));  // the values as the pool sees them
        for (size_t i = 0; i < in; i++) {
            long j = (long)(i % (size_t)c);
            float v = normalised ? x[i] * scale[j] + shift[j] : x[i];
            seen[i] = normalised && v <= 0 ? 0 : v;
        }
        // Two calls over image ranges, as two workers would make them; the second is given only
        // its own images, in a buffer of their exact size (as a fused convolution hands them over).
        shardkit_maxpool_forward_tier(
            tier, x, 0, 0, n / 2, h, w, c, oh, ow, pool, stride, padTop, padLeft, s, t, normalised, y, argmax);
        size_t tailStart = (size_t)(n / 2 * h * w * c);
        float *tail = ck_alloc((in - tailStart) * sizeof(float));
        memcpy(tail, x + tailStart, (in - tailStart) * sizeof(float));
        shardkit_maxpool_forward_tier(
            tier, tail, n / 2, n / 2, n, h, w, c, oh, ow, pool, stride, padTop, padLeft, s, t, normalised, y, argmax);
        free(tail);
        memset(expectDx, 0, in * sizeof(float));
        for (long b = 0; b < n; b++)
            for (long oy = 0; oy < oh; oy++)
                for (long ox = 0; ox < ow; ox++)
                    for (long j = 0; j < c; j++) {
                        long at = -1;
                        for (long iy = oy * stride - padTop; iy < oy * stride - padTop + pool; iy++)
                            for (long ix = ox * stride - padLeft; ix < ox * stride - padLeft + pool; ix++) {
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                long i = ((b * h + iy) * w + ix) * c + j;
                                if (at < 0 || seen[i] > seen[at]) at = i;
                            }
                        long o = ((b * oh + oy) * ow + ox) * c + j;
                        CK_CHECK(argmax[o] == at && same_bits(y[o], seen[at]),
                                 "case %zu, output %ld: index %d, expected %ld", k, o, argmax[o], at);
                        expectDx[at] = dy[o];
                    }
        if (pool == stride) {
            for (size_t i = 0; i < in; i++) dx[i] = 12345;
            shardkit_maxpool_backward_disjoint_tier(tier, dy, argmax, 0, n, h, w, c, oh, ow, stride, padTop, padLeft, dx);
            for (size_t i = 0; i < in; i++)
                CK_CHECK(same_bits(dx[i], expectDx[i]), "case %zu, dx[%zu] = %.9g, expected %.9g", k, i, dx[i],
                         expectDx[i]);
            // A ReLU convolution's gradient routed through this pool: dx, then 0 where the pool's
            // output at the window is <= 0, and the column sums row by row; over two row ranges
            // cut mid-image, as two workers (or two chunks) would ask for them.
            shardkit_bn_gradient source = {dy, argmax, h, w, oh, ow, stride, padTop, padLeft};
            long rows = n * h * w, cut = rows / 2 + 1;
            float *g = ck_alloc(in * sizeof(float));
            float sums[64], expectSums[64];
            for (long j = 0; j < c; j++) sums[j] = expectSums[j] = j % 3 == 0 ? -0.0f : 0.5f;
            shardkit_pool_relu_gradient_tier(tier, source, y, 0, cut, c, g, sums);
            shardkit_pool_relu_gradient_tier(tier, source, y, cut, rows, c, g + cut * c, sums);
            for (long r = 0; r < rows; r++) {
                long b = r / (h * w), iy = r % (h * w) / w, ix = r % w;
                long oy = (iy + padTop) / stride, ox = (ix + padLeft) / stride;
                for (long j = 0; j < c; j++) {
                    long i = r * c + j;
                    float want = 0;
                    if (oy < oh && ox < ow) {
                        long o = ((b * oh + oy) * ow + ox) * c + j;
                        want = y[o] <= 0 ? 0 : expectDx[i];
                    }
                    expectSums[j] += want;
                    CK_CHECK(same_bits(g[i], want), "case %zu, routed g[%ld] = %.9g, expected %.9g", k, i, g[i], want);
                }
            }
            for (long j = 0; j < c; j++)
                CK_CHECK(same_bits(sums[j], expectSums[j]), "case %zu, routed sum %ld = %.9g, expected %.9g", k, j,
                         sums[j], expectSums[j]);
            free(g);
        }
        free(x); free(y); free(dy); free(dx); free(expectDx); free(argmax); free(seen);
    }
    ck_end();
}

// The reference of both batch norm passes for row r: the gradient routed as the Swift layer
// defines it, masked by the ReLU, then the sums and dx in the kernel's order of operations.
static float bn_reference_dz(const shardkit_bn_gradient *s, const float *x, long r, long c, long j, int relu,
                             const float *a, const float *b) {
    float g;
    if (!s->argmax) {
        g = s->dy[r * c + j];
    } else {
        long hw = s->height * s->width, n = r / hw, iy = (r % hw) / s->width, ix = r % s->width;
        long oy = (iy + s->padTop) / s->stride, ox = (ix + s->padLeft) / s->stride;
        if (oy >= s->outputHeight || ox >= s->outputWidth) {
            g = 0;
        } else {
            long o = ((n * s->outputHeight + oy) * s->outputWidth + ox) * c + j;
            g = s->argmax[o] == r * c + j ? s->dy[o] : 0;
        }
    }
    float y = x[r * c + j] * a[j] + b[j];
    return relu && !(y > 0) && !isnan(y) ? 0 : g;
}

void test_batchnorm(void) {
    int tier = shardkit_cpu()->tier;
    ck_rng rng = {ck_seed() ^ 0x42614E00ull};
    // {images, height, width, channels}; pooled cases use 2×2 windows, "same" sizes.
    static const long shapes[][4] = {{2, 7, 9, 20}, {3, 5, 6, 48}, {1, 9, 7, 3}, {2, 4, 4, 64}, {1, 3, 5, 17}};
    ck_begin("batch norm statistics and backward passes (%s kernel): same bits as the passes written out",
             shardkit_elementwise_kernel_name(tier));
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int variant = 0; variant < 4; variant++) {
            int pooled = variant & 1, relu = variant >> 1;
            long n = shapes[k][0], h = shapes[k][1], w = shapes[k][2], c = shapes[k][3];
            long oh = (h + 1) / 2, ow = (w + 1) / 2, rows = n * h * w;
            size_t in = (size_t)(rows * c), out = (size_t)(n * oh * ow * c);
            float *x = ck_alloc(in * sizeof(float)), *dy = ck_alloc((pooled ? out : in) * sizeof(float));
            int *argmax = ck_alloc(out * sizeof(int));
            float *dx = ck_alloc(in * sizeof(float));
            float params[7][64], sums[2][64], expect[2][64];
            for (size_t i = 0; i < in; i++) x[i] = ck_unit(&rng) * 2;
            for (size_t i = 0; i < (pooled ? out : in); i++) dy[i] = ck_unit(&rng);
            // Each window's argmax: a random element of the (clipped) window, as a pool would pick.
            for (long b = 0; b < n; b++)
                for (long oy = 0; oy < oh; oy++)
                    for (long ox = 0; ox < ow; ox++)
                        for (long j = 0; j < c; j++) {
                            long iy = 2 * oy + (long)ck_below(&rng, 2), ix = 2 * ox + (long)ck_below(&rng, 2);
                            if (iy >= h) iy = h - 1;
                            if (ix >= w) ix = w - 1;
                            argmax[((b * oh + oy) * ow + ox) * c + j] = (int)(((b * h + iy) * w + ix) * c + j);
                        }
            for (int p = 0; p < 7; p++)
                for (long j = 0; j < c; j++) params[p][j] = ck_unit(&rng);
            const float *a = params[0], *bb = params[1], *mean = params[2], *inv = params[3];
            const float *kk = params[4], *shift = params[5], *scale = params[6];
            shardkit_bn_gradient source = {dy, pooled ? argmax : 0, h, w, oh, ow, 2, 0, 0};
            for (long j = 0; j < c; j++) sums[0][j] = sums[1][j] = expect[0][j] = expect[1][j] = 0;
            // Two calls over row ranges, as the blocks of the Swift layer make them.
            shardkit_bn_backward_sums_tier(tier, source, x, 0, rows / 3, c, relu, a, bb, mean, inv, sums[0], sums[1]);
            shardkit_bn_backward_sums_tier(tier, source, x, rows / 3, rows, c, relu, a, bb, mean, inv, sums[0], sums[1]);
            // The input pass over two ranges too, the second starting mid-row of an image.
            long cut = rows / 2 + 1;
            shardkit_bn_backward_input_tier(tier, source, x, 0, cut, c, relu, a, bb, kk, shift, scale, mean, dx);
            shardkit_bn_backward_input_tier(tier, source, x, cut, rows, c, relu, a, bb, kk, shift, scale, mean, dx);
            for (long r = 0; r < rows; r++)
                for (long j = 0; j < c; j++) {
                    float dz = bn_reference_dz(&source, x, r, c, j, relu, a, bb);
                    expect[0][j] += dz;
                    expect[1][j] += dz * (x[r * c + j] - mean[j]) * inv[j];
                    float want = kk[j] * dz - shift[j] - scale[j] * (x[r * c + j] - mean[j]);
                    CK_CHECK(same_bits(dx[r * c + j], want), "shape %zu variant %d, dx[%ld][%ld] = %.9g, expected %.9g",
                             k, variant, r, j, dx[r * c + j], want);
                }
            // The statistics pass: Σ (x − k) and Σ (x − k)², k the first row.
            float stats[2][64], expectStats[2][64];
            for (long j = 0; j < c; j++) stats[0][j] = stats[1][j] = expectStats[0][j] = expectStats[1][j] = 0;
            shardkit_bn_forward_sums_tier(tier, x, 0, rows / 2, c, x, stats[0], stats[1]);
            shardkit_bn_forward_sums_tier(tier, x, rows / 2, rows, c, x, stats[0], stats[1]);
            for (long r = 0; r < rows; r++)
                for (long j = 0; j < c; j++) {
                    float d = x[r * c + j] - x[j];
                    expectStats[0][j] += d;
                    expectStats[1][j] += d * d;
                }
            for (long j = 0; j < c; j++)
                CK_CHECK(same_bits(stats[0][j], expectStats[0][j]) && same_bits(stats[1][j], expectStats[1][j]),
                         "shape %zu, channel %ld: statistics %.9g %.9g, expected %.9g %.9g", k, j, stats[0][j],
                         stats[1][j], expectStats[0][j], expectStats[1][j]);
            for (long j = 0; j < c; j++)
                CK_CHECK(same_bits(sums[0][j], expect[0][j]) && same_bits(sums[1][j], expect[1][j]),
                         "shape %zu variant %d, channel %ld: sums %.9g %.9g, expected %.9g %.9g", k, variant, j,
                         sums[0][j], sums[1][j], expect[0][j], expect[1][j]);
            free(x); free(dy); free(argmax); free(dx);
        }
    ck_end();
}
