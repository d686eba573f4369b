// The GEMM (Sources/CShardKitConvKernels): `shardkit_sgemm` and `shardkit_sgemm_gathered`, whichever
// kernel the tier in force selects, against a double-precision triple loop, on odd shapes around
// the register tiles' edges (16-float vectors, up to 12 rows, 64-column blocks, depth blocks of
// 131072/n), with A row-major or transposed through its strides, padded leading dimensions, and
// the accumulate, bias and ReLU options, and B packed (rows far apart, m >= 256). Padding between
// C's rows must stay untouched.
// Every tier has a kernel (AVX-512, AVX2+FMA, portable C), so the tests run at whatever tier the
// program's SHARDKIT_ISA puts in force.
#include "ck.h"
#include "gemm_kernels.h"
#include "shardkit_cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_MAJOR = 0, TRANSPOSED = 1 };

typedef struct {
    int layout;     // of A
    int padded;     // leading dimensions larger than the matrices
    int accumulate; // C += A·B
    int bias;       // + bias[j]
    int relu;
} options;

// Eight combinations; shapes take them in turn so that every option meets many shapes.
static options variant(int v) {
    static const options table[8] = {
        {ROW_MAJOR, 0, 0, 0, 0},  {TRANSPOSED, 0, 0, 0, 0}, {ROW_MAJOR, 1, 1, 0, 0},  {TRANSPOSED, 1, 0, 1, 0},
        {ROW_MAJOR, 0, 0, 0, 1},  {TRANSPOSED, 1, 1, 1, 1}, {ROW_MAJOR, 1, 0, 1, 1},  {TRANSPOSED, 0, 1, 0, 1},
    };
    return table[v & 7];
}

static const float SENTINEL = -12345.5f;

// C, with its padding columns filled with SENTINEL; the result is checked against `product` (the
// double-precision A·B), then the padding.
typedef struct {
    long m, n, ldc;
    float *c;      // (m-1)·ldc + n floats, exactly (so ASan sees a write past the last row)
    float *start;  // C before the call
} output;

static output make_output(long m, long n, long ldc, int accumulate, ck_rng *rng) {
    output o = {m, n, ldc, 0, 0};
    size_t size = m > 0 ? (size_t)((m - 1) * ldc + n) : 0;
    o.c = ck_alloc(size * sizeof(float));
    o.start = ck_alloc(size * sizeof(float));
    for (size_t i = 0; i < size; i++) {
        long column = (long)(i % (size_t)ldc);
        // Without accumulate C's old values must not matter: fill them with garbage, NaN included.
        float value = column >= n ? SENTINEL : accumulate ? ck_unit(rng) : (i % 7 == 3 ? NAN : 1e30f);
        o.c[i] = o.start[i] = value;
    }
    return o;
}

static void check_output(const output *o, const double *product, long k, const options *opt, const float *bias,
                         const char *what) {
    double tolerance = 1e-5 * (double)(k + 4);
    long bad = 0;
    for (long i = 0; i < o->m; i++) {
        for (long j = 0; j < o->n; j++) {
            double want = product[i * o->n + j];
            if (opt->accumulate) want += o->start[i * o->ldc + j];
            if (opt->bias) want += bias[j];
            if (opt->relu && want < 0) want = 0;
            float got = o->c[i * o->ldc + j];
            int ok = fabs((double)got - want) <= tolerance && !(opt->relu && got < 0);
            if (!ok && bad++ < 3)
                ck_fail("%s: C(%ld,%ld) = %.9g, want %.9g (tolerance %.2g)", what, i, j, (double)got, want, tolerance);
        }
        for (long j = o->n; j < o->ldc && i < o->m - 1; j++) {
            float got = o->c[i * o->ldc + j];
            if (got != SENTINEL && bad++ < 3) ck_fail("%s: padding C(%ld,%ld) was written (%.9g)", what, i, j, (double)got);
        }
    }
}

static void free_output(output *o) {
    free(o->c);
    free(o->start);
}

static float *random_floats(size_t count, ck_rng *rng) {
    float *p = ck_alloc(count * sizeof(float));
    for (size_t i = 0; i < count; i++) p[i] = ck_unit(rng);
    return p;
}

// shardkit_sgemm with A (m×k) either row-major or transposed (k×m), both through the strides.
static void strided_case(long m, long n, long k, options opt, ck_rng *rng) {
    long lda = (opt.layout == ROW_MAJOR ? k : m) + (opt.padded ? 3 : 0);
    long ldb = n + (opt.padded ? 5 : 0), ldc = n + (opt.padded ? 7 : 0);
    long rowStride = opt.layout == ROW_MAJOR ? lda : 1, depthStride = opt.layout == ROW_MAJOR ? 1 : lda;
    size_t a_size = m > 0 && k > 0 ? (size_t)((opt.layout == ROW_MAJOR ? m - 1 : k - 1) * lda + (opt.layout == ROW_MAJOR ? k : m)) : 0;
    size_t b_size = k > 0 ? (size_t)((k - 1) * ldb + n) : 0;
    float *a = random_floats(a_size, rng), *b = random_floats(b_size, rng), *bias = random_floats((size_t)n, rng);
    double *product = ck_alloc((size_t)(m * n) * sizeof(double));
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            double sum = 0;
            for (long p = 0; p < k; p++) sum += (double)a[i * rowStride + p * depthStride] * (double)b[p * ldb + j];
            product[i * n + j] = sum;
        }
    output o = make_output(m, n, ldc, opt.accumulate, rng);
    shardkit_sgemm(m, n, k, a, rowStride, depthStride, b, ldb, o.c, ldc, opt.accumulate, opt.bias ? bias : NULL, opt.relu);
    char what[160];
    snprintf(what, sizeof what, "sgemm m=%ld n=%ld k=%ld A %s%s%s%s%s", m, n, k,
             opt.layout == ROW_MAJOR ? "row-major" : "transposed", opt.padded ? " padded" : "",
             opt.accumulate ? " accumulate" : "", opt.bias ? " bias" : "", opt.relu ? " relu" : "");
    check_output(&o, product, k, &opt, bias, what);
    free_output(&o);
    free(a), free(b), free(bias), free(product);
}

// shardkit_sgemm_gathered: A(i, p) = a[rowOffsets[i] + depthOffsets[p]] with random offsets
// (overlapping reads, any order); with `conv` = CONV_FORWARD, the column matrix of a 3×3
// convolution over an H×W×C input, as the trainer's forward pass uses it; with CONV_DW, its
// transpose, as the trainer's dW uses it (rows the window offsets, depth the output pixels, whose
// consecutive depths lie a whole pixel of channels apart: the driver's inner depth steps).
enum { RANDOM_OFFSETS, CONV_FORWARD, CONV_DW };
static void gathered_case(long m, long n, long k, options opt, int conv, ck_rng *rng) {
    long *rowOffsets = ck_alloc((size_t)m * sizeof(long)), *depthOffsets = ck_alloc((size_t)k * sizeof(long));
    size_t a_size;
    if (conv) {
        // A 3×3 "valid" convolution with outW = 9 over (outH+2)×(outW+2)×channels: its output
        // pixels are A's rows (forward: m = outH·outW, k = 9·channels) or its depths (dW).
        long *pixelOffsets = conv == CONV_DW ? depthOffsets : rowOffsets;
        long *windowOffsets = conv == CONV_DW ? rowOffsets : depthOffsets;
        long pixels = conv == CONV_DW ? k : m, windows = conv == CONV_DW ? m : k;
        long outW = 9, outH = pixels / outW, channels = windows / 9, width = outW + 2;
        for (long y = 0; y < outH; y++)
            for (long x = 0; x < outW; x++) pixelOffsets[y * outW + x] = (y * width + x) * channels;
        for (long ky = 0; ky < 3; ky++)
            for (long kx = 0; kx < 3; kx++)
                for (long ch = 0; ch < channels; ch++) windowOffsets[(ky * 3 + kx) * channels + ch] = (ky * width + kx) * channels + ch;
        a_size = (size_t)((outH + 2) * width * channels);
    } else {
        long rows = 3 * m + 1, depths = 2 * k + 1;
        for (long i = 0; i < m; i++) rowOffsets[i] = (long)ck_below(rng, (uint64_t)rows);
        for (long p = 0; p < k; p++) depthOffsets[p] = (long)ck_below(rng, (uint64_t)depths);
        a_size = (size_t)(rows + depths);
    }
    long ldb = n + (opt.padded ? 5 : 0), ldc = n + (opt.padded ? 7 : 0);
    size_t b_size = k > 0 ? (size_t)((k - 1) * ldb + n) : 0;
    float *a = random_floats(a_size, rng), *b = random_floats(b_size, rng), *bias = random_floats((size_t)n, rng);
    double *product = ck_alloc((size_t)(m * n) * sizeof(double));
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            double sum = 0;
            for (long p = 0; p < k; p++) sum += (double)a[rowOffsets[i] + depthOffsets[p]] * (double)b[p * ldb + j];
            product[i * n + j] = sum;
        }
    output o = make_output(m, n, ldc, opt.accumulate, rng);
    shardkit_sgemm_gathered(m, n, k, a, rowOffsets, depthOffsets, b, ldb, o.c, ldc, opt.accumulate,
                            opt.bias ? bias : NULL, opt.relu);
    char what[160];
    snprintf(what, sizeof what, "sgemm_gathered%s m=%ld n=%ld k=%ld%s%s%s%s",
             conv == CONV_DW ? " (3x3 conv dW)" : conv ? " (3x3 conv)" : "", m, n, k,
             opt.padded ? " padded" : "", opt.accumulate ? " accumulate" : "", opt.bias ? " bias" : "",
             opt.relu ? " relu" : "");
    check_output(&o, product, k, &opt, bias, what);
    free_output(&o);
    free(a), free(b), free(bias), free(product), free(rowOffsets), free(depthOffsets);
}

void test_gemm(void) {
    ck_note("gemm kernel: %s", shardkit_sgemm_kernel_name(shardkit_cpu()->tier));
    ck_rng rng = {ck_seed() ^ 0x6E6D6D00ull};
    static const long ms[] = {1, 7, 13, 25, 37, 50, 100};
    static const long ns[] = {1, 7, 13, 16, 17, 31, 33, 47, 48, 63, 64, 65, 100, 130};
    static const long ks[] = {0, 1, 7, 13, 25, 37, 100, 257};
    const int mcount = sizeof ms / sizeof ms[0], ncount = sizeof ns / sizeof ns[0], kcount = sizeof ks / sizeof ks[0];

    // Each (m, n) meets two depths, the depths and options taking turns.
    ck_begin("shardkit_sgemm: m in {1..100}, n in {1..130}, k in {0..257}, strided and transposed A, options");
    int turn = 0;
    for (int mi = 0; mi < mcount; mi++)
        for (int ni = 0; ni < ncount; ni++)
            for (int r = 0; r < 2; r++, turn++) strided_case(ms[mi], ns[ni], ks[(turn * 3 + mi) % kcount], variant(turn), &rng);
    ck_end();

    ck_begin("shardkit_sgemm_gathered: random offset tables, same shapes and options");
    turn = 0;
    for (int mi = 0; mi < mcount; mi++)
        for (int ni = 0; ni < ncount; ni++)
            for (int r = 0; r < 2; r++, turn++)
                gathered_case(ms[mi], ns[ni], ks[(turn * 5 + mi + 1) % kcount], variant(turn + 3), RANDOM_OFFSETS, &rng);
    ck_end();

    // Deep products: several depth blocks (shardkit_sgemm_depth_block(n) rows of B each: a quarter
    // of the L2 cache, at least 16384 floats, so k = 2100 spans several for n >= 17), with
    // the bias and ReLU applied once to the finished sum.
    ck_begin("deep products: k = 2100 (several depth blocks), every option");
    static const long deep[][2] = {{1, 1}, {7, 17}, {13, 65}, {25, 33}, {37, 130}, {50, 64}, {100, 16}};
    for (size_t d = 0; d < sizeof deep / sizeof deep[0]; d++) {
        strided_case(deep[d][0], deep[d][1], 2100, variant((int)d * 3 + 5), &rng);
        gathered_case(deep[d][0], deep[d][1], 2100, variant((int)d + 2), RANDOM_OFFSETS, &rng);
    }
    ck_end();

    // B's rows farther apart than its width (padded ldb) with m >= 256: the driver copies B into
    // contiguous column blocks first, about 64 K floats per depth block (several blocks here).
    ck_begin("packed B: padded ldb, m >= 256, one and several depth blocks, strided and gathered A");
    static const long packed[][3] = {{256, 17, 2100}, {300, 130, 500}, {257, 600, 120}, {384, 64, 128}, {256, 1, 7}};
    static const int paddedVariants[] = {2, 3, 5, 6};
    for (size_t d = 0; d < sizeof packed / sizeof packed[0]; d++) {
        strided_case(packed[d][0], packed[d][1], packed[d][2], variant(paddedVariants[d % 4]), &rng);
        gathered_case(packed[d][0], packed[d][1], packed[d][2], variant(paddedVariants[(d + 1) % 4]), RANDOM_OFFSETS, &rng);
    }
    ck_end();

    // The depth block follows the L2 cache (a quarter of it in floats, at least 16384), and a
    // product fed in pieces of that depth, accumulating, sums exactly as one call does (Conv2D's
    // chunked dW relies on it): bit-identical, not merely close.
    ck_begin("depth blocks: a quarter of the L2 cache; pieces of one block depth sum as one call");
    {
        const long l2 = shardkit_cpu()->l2_bytes;
        ck_note("L2 cache: %ld KiB; depth block for n = 64: %ld", l2 >> 10, shardkit_sgemm_depth_block(64));
        CK_CHECK(l2 >= 16384, "l2_bytes %ld", l2);
        long floats = l2 / 16 < 16384 ? 16384 : l2 / 16;
        static const long widths[] = {1, 32, 64, 128, 1000};
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
            long expected = floats / widths[w] < 128 ? 128 : floats / widths[w];
            CK_CHECK(shardkit_sgemm_depth_block(widths[w]) == expected, "n=%ld: depth block %ld, expected %ld",
                     widths[w], shardkit_sgemm_depth_block(widths[w]), expected);
        }
        const long m = 50, n = 64, block = shardkit_sgemm_depth_block(n), k = 2 * block + 37;
        float *a = ck_alloc((size_t)(m * k) * sizeof(float)), *b = ck_alloc((size_t)(k * n) * sizeof(float));
        float *whole = ck_alloc((size_t)(m * n) * sizeof(float)), *pieces = ck_alloc((size_t)(m * n) * sizeof(float));
        for (long i = 0; i < m * k; i++) a[i] = ck_unit(&rng);
        for (long i = 0; i < k * n; i++) b[i] = ck_unit(&rng);
        // A row-major (depth along its rows), then transposed (consecutive depths m floats apart, a
        // line or more: the driver then takes each block in inner steps, and the pieces must too).
        for (int transposed = 0; transposed < 2; transposed++) {
            const long rowStride = transposed ? 1 : k, depthStride = transposed ? m : 1;
            shardkit_sgemm(m, n, k, a, rowStride, depthStride, b, n, whole, n, 0, 0, 0);
            for (long p0 = 0; p0 < k; p0 += block) {
                long depth = k - p0 < block ? k - p0 : block;
                shardkit_sgemm(m, n, depth, a + p0 * depthStride, rowStride, depthStride, b + p0 * n, n, pieces, n,
                               p0 > 0, 0, 0);
            }
            CK_CHECK(memcmp(whole, pieces, (size_t)(m * n) * sizeof(float)) == 0,
                     "k=%ld in pieces of %ld, A %s: sums differ from one call", k, block,
                     transposed ? "transposed" : "row-major");
        }
        free(a), free(b), free(whole), free(pieces);
    }
    ck_end();

    ck_begin("shardkit_sgemm_gathered as a 3x3 convolution (im2col through offsets)");
    gathered_case(63, 17, 45, variant(0), CONV_FORWARD, &rng);  // 7×9 outputs, 5 channels
    gathered_case(27, 64, 9 * 16, variant(6), CONV_FORWARD, &rng);
    gathered_case(90, 33, 9 * 3, variant(5), CONV_FORWARD, &rng);
    ck_end();

    // The dW product of such a convolution: 16 and 48 channels put consecutive depths (output
    // pixels) a line or more apart, so the driver takes each depth block in inner steps; 3
    // channels do not. k = 270 spans several inner steps, k = 1350 several depth blocks too.
    ck_begin("shardkit_sgemm_gathered as a 3x3 convolution's dW (depth = output pixels)");
    gathered_case(9 * 16, 64, 9 * 30, variant(6), CONV_DW, &rng);
    gathered_case(9 * 48, 33, 9 * 150, variant(5), CONV_DW, &rng);
    gathered_case(9 * 16, 130, 9 * 150, variant(3), CONV_DW, &rng);
    gathered_case(9 * 3, 48, 9 * 150, variant(2), CONV_DW, &rng);
    ck_end();
}
