// The PNG row filters (Sources/CShardKitDeflate/filter.c) against the PNG specification's definitions
// (section 9.2), written out directly, and libpng's heuristic: the filter with the smallest sum of
// |filtered byte as signed| wins, the lowest filter type on a tie. The output is also unfiltered
// again and compared with the pixels.
#include "ck.h"
#include "scanline_deflate.h"

#include <stdlib.h>
#include <string.h>

static int paeth_predictor(int a, int b, int c) {
    int p = a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc) return a;
    if (pb <= pc) return b;
    return c;
}

// Filter `type` of byte i: a = the byte bpp to the left, b = above, c = above-left (0 outside).
static uint8_t reference_byte(int type, const uint8_t *row, const uint8_t *prior, size_t i, size_t bpp) {
    int x = row[i];
    int a = i >= bpp ? row[i - bpp] : 0;
    int b = prior ? prior[i] : 0;
    int c = prior && i >= bpp ? prior[i - bpp] : 0;
    switch (type) {
    case 0: return (uint8_t)x;
    case 1: return (uint8_t)(x - a);
    case 2: return (uint8_t)(x - b);
    case 3: return (uint8_t)(x - (a + b) / 2);
    default: return (uint8_t)(x - paeth_predictor(a, b, c));
    }
}

static void reference_filter(const uint8_t *pixels, size_t width, size_t height, size_t bpp, int adaptive, uint8_t *out) {
    size_t n = width * bpp;
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = pixels + y * n, *prior = y ? row - n : NULL;
        int best = 0;
        if (adaptive) {
            uint64_t best_sum = UINT64_MAX;
            for (int type = 0; type < 5; type++) {
                uint64_t sum = 0;
                for (size_t i = 0; i < n; i++) sum += (uint64_t)abs((int8_t)reference_byte(type, row, prior, i, bpp));
                if (sum < best_sum) best_sum = sum, best = type;
            }
        }
        out[y * (n + 1)] = (uint8_t)best;
        for (size_t i = 0; i < n; i++) out[y * (n + 1) + 1 + i] = reference_byte(best, row, prior, i, bpp);
    }
}

// Undoes the filters as a PNG decoder does; returns 0 on an unknown filter type.
static int unfilter(const uint8_t *filtered, size_t width, size_t height, size_t bpp, uint8_t *pixels) {
    size_t n = width * bpp;
    for (size_t y = 0; y < height; y++) {
        int type = filtered[y * (n + 1)];
        if (type > 4) return 0;
        uint8_t *row = pixels + y * n;
        const uint8_t *prior = y ? row - n : NULL;
        for (size_t i = 0; i < n; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior ? prior[i] : 0, c = prior && i >= bpp ? prior[i - bpp] : 0;
            int predictor = type == 0 ? 0 : type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2 : paeth_predictor(a, b, c);
            row[i] = (uint8_t)(filtered[y * (n + 1) + 1 + i] + predictor);
        }
    }
    return 1;
}

enum { RANDOM, SMOOTH, FLAT, STRIPES, KINDS };

static void make_pixels(int kind, uint8_t *p, size_t width, size_t height, size_t bpp, ck_rng *rng) {
    size_t n = width * bpp;
    for (size_t y = 0; y < height; y++)
        for (size_t i = 0; i < n; i++) {
            size_t x = i / bpp, c = i % bpp;
            uint8_t v;
            switch (kind) {
            case RANDOM: v = (uint8_t)ck_next(rng); break;
            case SMOOTH: v = (uint8_t)(x * 3 + y * 5 + c * 17 + ck_below(rng, 3)); break;
            case FLAT: v = (uint8_t)(c * 60 + 9); break;
            default: v = (uint8_t)((x / 3 + y) % 2 ? 250 : 3 + c); break;
            }
            p[y * n + i] = v;
        }
}

static void one_case(int kind, size_t width, size_t height, size_t bpp, int adaptive, ck_rng *rng, int counts[5]) {
    static const char *kinds[] = {"random", "smooth", "flat", "stripes"};
    size_t n = width * bpp, size = (n + 1) * height;
    uint8_t *pixels = ck_alloc(n * height), *got = ck_alloc(size), *want = ck_alloc(size), *back = ck_alloc(n * height);
    make_pixels(kind, pixels, width, height, bpp, rng);
    memset(got, 0xEE, size);
    shardkit_png_filter_rows(pixels, width, height, bpp, adaptive, got);
    reference_filter(pixels, width, height, bpp, adaptive, want);
    if (memcmp(got, want, size) != 0) {
        size_t at = 0;
        while (got[at] == want[at]) at++;
        size_t y = at / (n + 1);
        ck_fail("%s %zux%zu bpp %zu adaptive %d: first difference at row %zu byte %zu (filter %d, want filter %d): %d vs %d",
                kinds[kind], width, height, bpp, adaptive, y, at % (n + 1), got[y * (n + 1)], want[y * (n + 1)], got[at],
                want[at]);
    } else if (!unfilter(got, width, height, bpp, back) || memcmp(back, pixels, n * height) != 0) {
        ck_fail("%s %zux%zu bpp %zu adaptive %d: does not unfilter to the pixels", kinds[kind], width, height, bpp, adaptive);
    }
    for (size_t y = 0; y < height; y++)
        if (got[y * (n + 1)] < 5) counts[got[y * (n + 1)]]++;
    free(pixels), free(got), free(want), free(back);
}

void test_filters(void) {
    ck_rng rng = {ck_seed() ^ 0xF117E25ull};
    static const size_t widths[] = {0, 1, 2, 3, 5, 8, 17, 64, 100, 333};
    static const size_t heights[] = {1, 2, 7};
    static const size_t bpps[] = {1, 2, 3, 4, 6, 8};
    int counts[5] = {0};
    for (int adaptive = 0; adaptive < 2; adaptive++) {
        ck_begin("shardkit_png_filter_rows adaptive=%d vs the reference: widths 0..333, bpp 1..8, 4 kinds", adaptive);
        for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
            for (size_t h = 0; h < sizeof heights / sizeof heights[0]; h++)
                for (size_t b = 0; b < sizeof bpps / sizeof bpps[0]; b++)
                    for (int kind = 0; kind < KINDS; kind++)
                        one_case(kind, widths[w], heights[h], bpps[b], adaptive, &rng, counts);
        ck_end();
    }
    ck_begin("wide rows (120000 bytes, past the 65536-byte cost chunks)");
    for (int kind = 0; kind < KINDS; kind++) one_case(kind, 40000, 3, 3, 1, &rng, counts);
    one_case(SMOOTH, 70001, 2, 1, 1, &rng, counts);
    ck_end();
    ck_note("filters chosen: none %d, sub %d, up %d, average %d, paeth %d", counts[0], counts[1], counts[2], counts[3],
            counts[4]);
    ck_begin("every filter type was chosen somewhere");
    for (int t = 0; t < 5; t++) CK_CHECK(counts[t] > 0, "filter %d never chosen", t);
    ck_end();
}
