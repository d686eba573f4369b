#pragma once
#include <stddef.h>
#include <stdint.h>

/// Result of a shim call: status 0 on success, otherwise libjpeg's message in `message`.
typedef struct {
    int status;
    char message[200];
} shardkit_jpeg_result;

/// Reads the header of a JPEG stream: width, height and the number of components in the file.
shardkit_jpeg_result shardkit_jpeg_read_header(const uint8_t *data, size_t size, int *width, int *height, int *components);

/// Decodes a JPEG stream into `out` (`width × height × channels` bytes), `channels` 1 (gray)
/// or 3 (RGB); libjpeg converts between them. CMYK/YCCK streams are rejected.
shardkit_jpeg_result shardkit_jpeg_decode(const uint8_t *data, size_t size, int channels, uint8_t *out, size_t out_size);

/// Encodes `pixels` (`width × height × channels`, channels 1 or 3) at `quality` 1...100.
/// On success `*out` is a buffer from malloc of `*out_size` bytes the caller frees with `shardkit_jpeg_free`.
shardkit_jpeg_result shardkit_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                          uint8_t **out, size_t *out_size);

void shardkit_jpeg_free(void *p);
