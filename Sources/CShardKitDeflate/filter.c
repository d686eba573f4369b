// PNG row filters (PNG specification, section 9) and libpng's heuristic for choosing one per row.
// The cost loops are plain loops over bytes with 32-bit sums so that the compiler vectorises them.
#include "scanline_deflate.h"

#include <stdlib.h>
#include <string.h>

enum { NONE = 0, SUB = 1, UP = 2, AVERAGE = 3, PAETH = 4 };

static inline int32_t magnitude(uint8_t v) {
    int32_t s = (int8_t)v;
    return s < 0 ? -s : s;
}

// The Paeth predictor of a = left, b = above, c = above-left.
static inline uint8_t paeth(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : (pb <= pc ? b : c));
}

// The filtered byte i of `row` under `type`; at the left edge (i < bpp) left and above-left are 0.
static inline uint8_t filtered(int type, const uint8_t *row, const uint8_t *above, size_t i, size_t bpp) {
    int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
    switch (type) {
    case NONE: return row[i];
    case SUB: return (uint8_t)(row[i] - a);
    case UP: return (uint8_t)(row[i] - b);
    case AVERAGE: return (uint8_t)(row[i] - ((a + b) >> 1));
    default: return (uint8_t)(row[i] - paeth(a, b, c));
    }
}

// Sum of |filtered byte| over the row. The left edge is done apart so that the main loop, with
// the filter type fixed by the caller's constant, has no branches and vectorises.
static inline uint64_t cost(int type, const uint8_t *row, const uint8_t *above, size_t n, size_t bpp) {
    uint64_t total = 0;
    size_t edge = bpp < n ? bpp : n;
    for (size_t i = 0; i < edge; i++) total += (uint64_t)magnitude(filtered(type, row, above, i, bpp));
    // Chunks of 2^16 bytes keep the 32-bit sum from wrapping (2^16 * 128 < 2^31).
    for (size_t start = edge; start < n; start += 65536) {
        size_t end = n - start > 65536 ? start + 65536 : n;
        int32_t sum = 0;
        switch (type) {
        case NONE:
            for (size_t i = start; i < end; i++) sum += magnitude(row[i]);
            break;
        case SUB:
            for (size_t i = start; i < end; i++) sum += magnitude((uint8_t)(row[i] - row[i - bpp]));
            break;
        case UP:
            for (size_t i = start; i < end; i++) sum += magnitude((uint8_t)(row[i] - above[i]));
            break;
        case AVERAGE:
            for (size_t i = start; i < end; i++) sum += magnitude((uint8_t)(row[i] - ((row[i - bpp] + above[i]) >> 1)));
            break;
        default:
            for (size_t i = start; i < end; i++)
                sum += magnitude((uint8_t)(row[i] - paeth(row[i - bpp], above[i], above[i - bpp])));
            break;
        }
        total += (uint64_t)sum;
    }
    return total;
}

static void filter_row(int type, const uint8_t *row, const uint8_t *above, size_t n, size_t bpp, uint8_t *out) {
    if (type == NONE) {
        memcpy(out, row, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = filtered(type, row, above, i, bpp);
}

void shardkit_png_filter_rows(const uint8_t *pixels, size_t width, size_t height, size_t bpp, int adaptive,
                              uint8_t *out) {
    size_t n = width * bpp;
    // The row above the first is all zeros, as PNG defines it.
    uint8_t *zeros = adaptive ? calloc(n ? n : 1, 1) : NULL;  // if this fails, rows stay unfiltered
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = pixels + y * n;
        uint8_t *target = out + y * (n + 1);
        int best = NONE;
        if (adaptive && zeros) {
            const uint8_t *above = y == 0 ? zeros : row - n;
            uint64_t best_cost = cost(NONE, row, above, n, bpp);
            for (int type = SUB; type <= PAETH; type++) {
                uint64_t c = cost(type, row, above, n, bpp);
                if (c < best_cost) {
                    best_cost = c;
                    best = type;
                }
            }
            filter_row(best, row, above, n, bpp, target + 1);
        } else {
            memcpy(target + 1, row, n);
        }
        target[0] = (uint8_t)best;
    }
    free(zeros);
}
