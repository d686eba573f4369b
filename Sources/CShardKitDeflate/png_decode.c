// The fast PNG decoder for the common case (see png_decode.h): chunks walked and CRC-checked here,
// the zlib stream inflated by libdeflate into one exactly sized buffer, rows unfiltered in place.
// Anything it does not take, or any doubt about the data, goes back to libpng, so that what this
// returns is always what libpng's simplified API returns for the same bytes.
#include "png_decode.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { NONE = 0, SUB = 1, UP = 2, AVERAGE = 3, PAETH = 4 };

// libpng refuses wider or taller images by default (png_set_user_limits' defaults).
#define LIBPNG_USER_DIMENSION_MAX 1000000u

static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint32_t chunk_type(const char name[4]) {
    return be32((const uint8_t *)name);
}

// Metadata chunks libpng's simplified API reads (or skips) without touching the pixels.
static int is_pixel_neutral_metadata(uint32_t type) {
    return type == chunk_type("tEXt") || type == chunk_type("zTXt") || type == chunk_type("iTXt") ||
           type == chunk_type("tIME") || type == chunk_type("pHYs");
}

// The chunk at `offset`: 0 if its length field, type, data and CRC do not all fit in `size`, if the
// length exceeds PNG's 2^31 - 1, or if the CRC (over type and data) is wrong.
static int read_chunk(const uint8_t *data, size_t size, size_t offset, uint32_t *type, size_t *length) {
    if (size - offset < 12) return 0;
    uint32_t n = be32(data + offset);
    if (n > 0x7FFFFFFFu || size - offset - 12 < n) return 0;
    uint32_t crc = (uint32_t)libdeflate_crc32(0, data + offset + 4, (size_t)n + 4);
    if (crc != be32(data + offset + 8 + n)) return 0;
    *type = be32(data + offset + 4);
    *length = n;
    return 1;
}

int shardkit_png_fast_probe(const uint8_t *data, size_t size, shardkit_png_fast_info *info) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size < 8 + 25 || memcmp(data, signature, 8) != 0) return 0;
    uint32_t type;
    size_t length;
    if (!read_chunk(data, size, 8, &type, &length) || type != chunk_type("IHDR") || length != 13) return 0;
    const uint8_t *ihdr = data + 16;
    uint32_t width = be32(ihdr), height = be32(ihdr + 4);
    uint8_t depth = ihdr[8], color = ihdr[9], compression = ihdr[10], filter = ihdr[11], interlace = ihdr[12];
    if (width == 0 || height == 0 || width > LIBPNG_USER_DIMENSION_MAX || height > LIBPNG_USER_DIMENSION_MAX) return 0;
    if (depth != 8 || compression != 0 || filter != 0 || interlace != 0) return 0;
    uint32_t channels;
    switch (color) {
    case 0: channels = 1; break;
    case 2: channels = 3; break;
    case 4: channels = 2; break;
    case 6: channels = 4; break;
    default: return 0;  // palette: libpng
    }
    size_t offset = 8 + 25, first_idat = 0, idat_count = 0, idat_bytes = 0;
    int idat_done = 0;
    for (;;) {
        if (!read_chunk(data, size, offset, &type, &length)) return 0;
        if (type == chunk_type("IDAT")) {
            if (idat_done) return 0;  // IDATs split by another chunk: libpng decides
            if (idat_count == 0) first_idat = offset;
            idat_count++;
            idat_bytes += length;
        } else {
            if (idat_count > 0) idat_done = 1;
            if (type == chunk_type("IEND")) break;
            if (!is_pixel_neutral_metadata(type)) return 0;
        }
        offset += 12 + length;
    }
    if (idat_count == 0 || idat_bytes < 2) return 0;
    size_t row_bytes = (size_t)width * channels;
    size_t inflated = (size_t)height * (1 + row_bytes);
    // zlib honours the window size a stream declares, libdeflate does not: where a distance could
    // reach past the declared window, libpng (zlib) would fail and we would not. Only a window
    // smaller than the whole image can be overrun; those streams (rare: libpng's encoder picks
    // a window at least the data's size) go to libpng.
    const uint8_t *zlib_header = data + first_idat + 8;
    size_t declared_window = (size_t)1 << ((zlib_header[0] >> 4) + 8);
    if ((zlib_header[0] >> 4) < 7 && declared_window < inflated) return 0;
    info->width = width;
    info->height = height;
    info->file_channels = channels;
    info->image_channels = channels == 2 || channels == 4 ? channels - 1 : channels;
    info->first_idat = first_idat;
    info->idat_count = idat_count;
    info->idat_bytes = idat_bytes;
    info->inflated_bytes = inflated;
    return 1;
}

// One decompressor per thread, made on first use and freed when the thread ends.
static pthread_key_t decompressor_key;
static pthread_once_t decompressor_once = PTHREAD_ONCE_INIT;

static void free_decompressor(void *decompressor) {
    libdeflate_free_decompressor(decompressor);
}

static void make_decompressor_key(void) {
    pthread_key_create(&decompressor_key, free_decompressor);
}

static struct libdeflate_decompressor *thread_decompressor(void) {
    pthread_once(&decompressor_once, make_decompressor_key);
    struct libdeflate_decompressor *d = pthread_getspecific(decompressor_key);
    if (d == NULL) {
        d = libdeflate_alloc_decompressor();
        if (d != NULL && pthread_setspecific(decompressor_key, d) != 0) {
            libdeflate_free_decompressor(d);
            d = NULL;
        }
    }
    return d;
}

// MARK: Unfiltering (PNG specification, section 9), in place; `prev` is the row above, already
// unfiltered, or NULL for the first row (all zeros). `n` bytes, `bpp` bytes per pixel.

static inline uint8_t paeth(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : (pb <= pc ? b : c));
}

static void unfilter_sub(uint8_t *cur, size_t n, size_t bpp) {
    for (size_t i = bpp; i < n; i++) cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
}

static void unfilter_up(uint8_t *cur, const uint8_t *prev, size_t n) {
    for (size_t i = 0; i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
}

static void unfilter_average(uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    size_t i = 0;
    for (; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + (prev[i] >> 1));
    for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + ((cur[i - bpp] + prev[i]) >> 1));
}

static void unfilter_paeth(uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    size_t i = 0;
    for (; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);  // a = c = 0: Paeth gives b
    for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + paeth(cur[i - bpp], prev[i], prev[i - bpp]));
}

// The first row: the row above is zeros, so Up adds nothing, Average adds left / 2, Paeth adds left.
static void unfilter_first(int type, uint8_t *cur, size_t n, size_t bpp) {
    switch (type) {
    case SUB:
    case PAETH: unfilter_sub(cur, n, bpp); break;
    case AVERAGE:
        for (size_t i = bpp; i < n; i++) cur[i] = (uint8_t)(cur[i] + (cur[i - bpp] >> 1));
        break;
    default: break;
    }
}

#if defined(__SSE2__)
// For 3 and 4 bytes per pixel (RGB, RGBA) the left neighbour is a whole pixel: one pixel per step
// in a vector register, the channels in parallel (the dependency along the row stays serial).
// Each function is inlined with `bpp` a constant 3 or 4, so that the pixel loads and stores are
// plain moves (with a variable size they were calls to memcpy, and every register was spilled).
#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE __m128i load_pixel(const uint8_t *p, size_t bpp) {
    uint32_t v = 0;
    memcpy(&v, p, bpp);
    return _mm_cvtsi32_si128((int)v);
}

ALWAYS_INLINE void store_pixel(uint8_t *p, __m128i v, size_t bpp) {
    uint32_t w = (uint32_t)_mm_cvtsi128_si32(v);
    memcpy(p, &w, bpp);
}

ALWAYS_INLINE void unfilter_sub_pixels(uint8_t *cur, size_t n, size_t bpp) {
    __m128i left = _mm_setzero_si128();
    for (size_t i = 0; i + bpp <= n; i += bpp) {
        left = _mm_add_epi8(left, load_pixel(cur + i, bpp));
        store_pixel(cur + i, left, bpp);
    }
}

ALWAYS_INLINE void unfilter_average_pixels(uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    const __m128i one = _mm_set1_epi8(1);
    __m128i left = _mm_setzero_si128();
    for (size_t i = 0; i + bpp <= n; i += bpp) {
        __m128i above = load_pixel(prev + i, bpp);
        // floor((a + b) / 2) = the rounded-up average minus the low bit of a ^ b
        __m128i mean = _mm_sub_epi8(_mm_avg_epu8(left, above), _mm_and_si128(_mm_xor_si128(left, above), one));
        left = _mm_add_epi8(load_pixel(cur + i, bpp), mean);
        store_pixel(cur + i, left, bpp);
    }
}

ALWAYS_INLINE __m128i abs_epi16(__m128i x) {
    return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

ALWAYS_INLINE void unfilter_paeth_pixels(uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    const __m128i zero = _mm_setzero_si128();
    __m128i a = zero, c = zero;  // left and above-left, as 16-bit lanes
    for (size_t i = 0; i + bpp <= n; i += bpp) {
        __m128i b = _mm_unpacklo_epi8(load_pixel(prev + i, bpp), zero);
        __m128i pa_signed = _mm_sub_epi16(b, c), pb_signed = _mm_sub_epi16(a, c);
        __m128i pa = abs_epi16(pa_signed), pb = abs_epi16(pb_signed);
        __m128i pc = abs_epi16(_mm_add_epi16(pa_signed, pb_signed));
        __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        // a where pa is smallest; else b where pb is; else c (the specification's tie order)
        __m128i use_a = _mm_cmpeq_epi16(pa, smallest), use_b = _mm_cmpeq_epi16(pb, smallest);
        __m128i predictor = _mm_or_si128(_mm_and_si128(use_b, b), _mm_andnot_si128(use_b, c));
        predictor = _mm_or_si128(_mm_and_si128(use_a, a), _mm_andnot_si128(use_a, predictor));
        __m128i x = _mm_add_epi8(load_pixel(cur + i, bpp), _mm_packus_epi16(predictor, zero));
        store_pixel(cur + i, x, bpp);
        a = _mm_unpacklo_epi8(x, zero);
        c = b;
    }
}
#endif

// Unfilters one row; 0 for a filter type PNG does not define.
static int unfilter_row(int type, uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    if (type > PAETH) return 0;
    if (type == NONE) return 1;
    if (prev == NULL) {
        unfilter_first(type, cur, n, bpp);
        return 1;
    }
    if (type == UP) {
        unfilter_up(cur, prev, n);
        return 1;
    }
#if defined(__SSE2__)
    if (bpp == 3 || bpp == 4) {
        switch (type) {
        case SUB: bpp == 3 ? unfilter_sub_pixels(cur, n, 3) : unfilter_sub_pixels(cur, n, 4); break;
        case AVERAGE:
            bpp == 3 ? unfilter_average_pixels(cur, prev, n, 3) : unfilter_average_pixels(cur, prev, n, 4);
            break;
        default: bpp == 3 ? unfilter_paeth_pixels(cur, prev, n, 3) : unfilter_paeth_pixels(cur, prev, n, 4); break;
        }
        return 1;
    }
#endif
    switch (type) {
    case SUB: unfilter_sub(cur, n, bpp); break;
    case AVERAGE: unfilter_average(cur, prev, n, bpp); break;
    default: unfilter_paeth(cur, prev, n, bpp); break;
    }
    return 1;
}

// Moves an unfiltered row (`n` bytes, `bpp` per pixel) to `out`, at or before it, keeping the first
// `keep` bytes of each pixel (alpha dropped when keep = bpp - 1).
static void pack_row(uint8_t *out, const uint8_t *row, size_t n, size_t bpp, size_t keep) {
    if (keep == bpp) {
        memmove(out, row, n);
        return;
    }
    // out <= row, and each pixel is read before any byte of it can be overwritten.
    if (keep == 1) {
        for (size_t i = 0, o = 0; i < n; i += 2, o++) out[o] = row[i];
    } else {
        for (size_t i = 0, o = 0; i < n; i += 4, o += 3) {
            uint8_t r = row[i], g = row[i + 1], b = row[i + 2];
            out[o] = r;
            out[o + 1] = g;
            out[o + 2] = b;
        }
    }
}

int shardkit_png_fast_decode(const uint8_t *data, size_t size, const shardkit_png_fast_info *info, uint8_t *buffer) {
    struct libdeflate_decompressor *decompressor = thread_decompressor();
    if (decompressor == NULL) return 0;
    const uint8_t *stream = data + info->first_idat + 8;
    uint8_t *joined = NULL;
    if (info->idat_count > 1) {
        // Several IDATs: their data is one zlib stream; join it (the chunks were checked by the probe).
        joined = malloc(info->idat_bytes);
        if (joined == NULL) return 0;
        size_t offset = info->first_idat, filled = 0;
        for (size_t k = 0; k < info->idat_count; k++) {
            size_t length = be32(data + offset);
            memcpy(joined + filled, data + offset + 8, length);
            filled += length;
            offset += 12 + length;
        }
        stream = joined;
    }
    (void)size;
    enum libdeflate_result result =
        libdeflate_zlib_decompress(decompressor, stream, info->idat_bytes, buffer, info->inflated_bytes, NULL);
    free(joined);
    if (result != LIBDEFLATE_SUCCESS) return 0;

    size_t bpp = info->file_channels, keep = info->image_channels;
    size_t n = (size_t)info->width * bpp, out_row = (size_t)info->width * keep;
    uint8_t *prev = NULL;
    for (size_t y = 0; y < info->height; y++) {
        uint8_t *cur = buffer + y * (n + 1) + 1;
        if (!unfilter_row(cur[-1], cur, prev, n, bpp)) return 0;
        // The row above is no longer needed once this one is unfiltered: pack it.
        if (prev != NULL) pack_row(buffer + (y - 1) * out_row, prev, n, bpp, keep);
        prev = cur;
    }
    pack_row(buffer + (info->height - 1) * out_row, prev, n, bpp, keep);
    return 1;
}
