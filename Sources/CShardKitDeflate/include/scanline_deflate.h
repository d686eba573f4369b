#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Upper bound on the bytes `shardkit_deflate_scanlines` writes for `count` input bytes
/// (including a few bytes of slack its bit writer stores past the end of the stream).
size_t shardkit_deflate_bound(size_t count);

/// Compresses `data` as one raw deflate stream (RFC 1951, no zlib header or trailer) into `out`,
/// which holds at least `shardkit_deflate_bound(count)` bytes; returns the bytes of the stream.
/// Made for PNG's filtered scanlines: literals and runs (matches at distance 1) only, each block
/// of up to 65535 bytes sent with dynamic Huffman codes, the fixed codes or stored, whichever is
/// smallest. Deterministic and thread-safe (no global state). Returns 0 if memory runs out.
size_t shardkit_deflate_scanlines(const uint8_t *data, size_t count, uint8_t *out);

/// Filters `height` rows of `width` pixels of `bpp` bytes (8-bit samples) for PNG: each output
/// row is its filter type byte followed by the filtered bytes, `(width * bpp + 1) * height` in
/// all. With `adaptive` 0 every row gets filter 0 (None); otherwise each row gets the filter whose
/// output has the smallest sum of absolute values (as signed bytes), libpng's heuristic.
void shardkit_png_filter_rows(const uint8_t *pixels, size_t width, size_t height, size_t bpp, int adaptive,
                              uint8_t *out);

#ifdef __cplusplus
}
#endif
