#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What `shardkit_png_fast_probe` learnt about a PNG stream the fast decoder can take.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// Samples per pixel in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (8 bits each).
    uint32_t file_channels;
    /// Samples per pixel of the decoded image: the file's with alpha dropped (1 or 3).
    uint32_t image_channels;
    /// Offset of the first IDAT chunk's length field, and how many IDAT chunks follow in a row.
    size_t first_idat;
    size_t idat_count;
    /// Sum of the IDAT chunks' data lengths (the zlib stream and anything after it).
    size_t idat_bytes;
    /// Bytes the zlib stream inflates to: height * (1 + width * file_channels).
    size_t inflated_bytes;
} shardkit_png_fast_info;

/// Decides whether the fast decoder can decode `data` exactly as libpng's simplified API would:
/// a well-formed, non-interlaced, 8-bit gray, gray+alpha, RGB or RGBA PNG whose chunks are all
/// either critical ones it reads (IHDR, consecutive IDATs, IEND) or text, time and physical-size
/// metadata libpng never applies to pixels, with every CRC correct. Returns 1 and fills `info`
/// if so; 0 means "ask libpng" (which will decode it or report why it cannot). Never reads past
/// `size` bytes.
int shardkit_png_fast_probe(const uint8_t *data, size_t size, shardkit_png_fast_info *info);

/// Decodes the stream `shardkit_png_fast_probe` accepted into `buffer`, which holds at least
/// `info->inflated_bytes` bytes: inflates the IDAT data there (libdeflate), unfilters the rows in
/// place and packs them to the front as `height * width * image_channels` samples, alpha dropped.
/// Returns 1 on success; 0 if the data is not exactly a valid zlib stream of that many bytes with
/// valid filter types (the caller then asks libpng, which reports the error or, for what it only
/// warns about, decodes it). Thread-safe; one libdeflate decompressor is kept per thread.
int shardkit_png_fast_decode(const uint8_t *data, size_t size, const shardkit_png_fast_info *info, uint8_t *buffer);

#ifdef __cplusplus
}
#endif
