// The JPEG shim (Sources/CShardKitJPEG/shardkit_jpeg.c) over libjpeg-turbo: encode and decode round trips in
// gray and RGB, header reads, and every error path the shim turns libjpeg's longjmp into (cut,
// corrupt and CMYK streams, a buffer of the wrong size), plus corrupted streams by the hundred, so
// that the sanitizer build sees the shim's setjmp/longjmp clean-up free everything on every path.
// Needs -ljpeg; the aarch64 cross build leaves it out (CK_NO_JPEG), having no arm64 libjpeg.
#ifndef CK_NO_JPEG
#include "ck.h"
#include "shardkit_jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/// A smooth test picture (gradients, 0…254; JPEG keeps those close): `channels` 1 or 3.
static uint8_t *picture(int width, int height, int channels) {
    uint8_t *p = ck_alloc((size_t)width * height * channels);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
                p[((size_t)y * width + x) * channels + c] = (uint8_t)(x * 150 / width + y * 80 / height + c * 12);
    return p;
}

static double mean_error(const uint8_t *a, const uint8_t *b, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += abs((int)a[i] - (int)b[i]);
    return n ? sum / (double)n : 0;
}

/// Encodes, checks the header, decodes with `decode_channels`, and compares when the channels agree.
static void round_trip(int width, int height, int channels, int quality, int decode_channels, double tolerance) {
    ck_begin("round trip %dx%d, %d channel(s) at quality %d, decoded to %d", width, height, channels, quality,
             decode_channels);
    uint8_t *pixels = picture(width, height, channels);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    shardkit_jpeg_result r = shardkit_jpeg_encode(pixels, width, height, channels, quality, &jpeg, &size);
    CK_CHECK(r.status == 0 && jpeg && size > 2, "encode failed: %s", r.message);
    if (r.status == 0) {
        CK_CHECK(jpeg[0] == 0xFF && jpeg[1] == 0xD8, "no SOI marker");
        int w = 0, h = 0, components = 0;
        r = shardkit_jpeg_read_header(jpeg, size, &w, &h, &components);
        CK_CHECK(r.status == 0 && w == width && h == height && components == channels,
                 "header says %dx%d with %d components (%s)", w, h, components, r.message);
        size_t out_size = (size_t)width * height * decode_channels;
        uint8_t *out = ck_alloc(out_size);
        r = shardkit_jpeg_decode(jpeg, size, decode_channels, out, out_size);
        CK_CHECK(r.status == 0, "decode failed: %s", r.message);
        if (r.status == 0 && decode_channels == channels) {
            double error = mean_error(pixels, out, out_size);
            CK_CHECK(error < tolerance, "mean absolute error %.2f, expected below %.1f", error, tolerance);
        }
        free(out);
    }
    shardkit_jpeg_free(jpeg);
    free(pixels);
    ck_end();
}

/// A CMYK JPEG made with libjpeg directly (the shim writes gray and RGB only).
static uint8_t *cmyk_jpeg(size_t *size) {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    jpeg_mem_dest(&cinfo, &buffer, &length);
    cinfo.image_width = 8;
    cinfo.image_height = 8;
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    uint8_t row[8 * 4];
    memset(row, 90, sizeof row);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *size = length;
    return buffer;
}

static void errors(void) {
    uint8_t *pixels = picture(32, 24, 3);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    shardkit_jpeg_result r = shardkit_jpeg_encode(pixels, 32, 24, 3, 90, &jpeg, &size);
    uint8_t *out = ck_alloc(32 * 24 * 3);

    ck_begin("a stream cut in half is an error, not a partly grey image");
    r = shardkit_jpeg_decode(jpeg, size / 2, 3, out, 32 * 24 * 3);
    CK_CHECK(r.status != 0 && r.message[0] != 0, "cut stream decoded (status %d)", r.status);
    ck_end();

    ck_begin("an output buffer smaller than the image is refused before any row is written");
    memset(out, 0xA5, 32 * 24 * 3);
    r = shardkit_jpeg_decode(jpeg, size, 3, out, 32 * 24 * 3 - 1);
    CK_CHECK(r.status != 0 && strstr(r.message, "does not match") != NULL, "status %d: %s", r.status, r.message);
    CK_CHECK(out[0] == 0xA5, "rows were written into a buffer that was too small");
    ck_end();

    ck_begin("asking for 3 channels of a stream decoded as such into 1 channel's room is refused");
    r = shardkit_jpeg_decode(jpeg, size, 3, out, 32 * 24);
    CK_CHECK(r.status != 0, "decoded into a third of the room");
    ck_end();

    ck_begin("garbage after the SOI marker, an empty stream, and no SOI at all are errors");
    uint8_t garbage[64] = {0xFF, 0xD8, 0xFF};
    for (int i = 3; i < 64; i++) garbage[i] = (uint8_t)(i * 37);
    int w, h, c;
    r = shardkit_jpeg_read_header(garbage, sizeof garbage, &w, &h, &c);
    CK_CHECK(r.status != 0, "garbage header read");
    r = shardkit_jpeg_decode(garbage, sizeof garbage, 3, out, 32 * 24 * 3);
    CK_CHECK(r.status != 0, "garbage decoded");
    r = shardkit_jpeg_read_header(jpeg, 0, &w, &h, &c);
    CK_CHECK(r.status != 0, "empty stream read");
    r = shardkit_jpeg_read_header(jpeg + 2, size - 2, &w, &h, &c);
    CK_CHECK(r.status != 0, "stream without SOI read");
    ck_end();

    ck_begin("CMYK: the header reports 4 components and decoding is refused");
    size_t cmyk_size = 0;
    uint8_t *cmyk = cmyk_jpeg(&cmyk_size);
    r = shardkit_jpeg_read_header(cmyk, cmyk_size, &w, &h, &c);
    CK_CHECK(r.status == 0 && c == 4, "status %d, %d components", r.status, c);
    r = shardkit_jpeg_decode(cmyk, cmyk_size, 3, out, 8 * 8 * 3);
    CK_CHECK(r.status != 0 && strstr(r.message, "CMYK") != NULL, "status %d: %s", r.status, r.message);
    free(cmyk);
    ck_end();

    ck_begin("encoding a 0x0 image is an error, with libjpeg's message");
    uint8_t *none = NULL;
    size_t none_size = 0;
    r = shardkit_jpeg_encode(pixels, 0, 0, 3, 90, &none, &none_size);
    CK_CHECK(r.status != 0 && r.message[0] != 0 && none == NULL, "status %d: %s", r.status, r.message);
    ck_end();

    free(out);
    shardkit_jpeg_free(jpeg);
    free(pixels);
}

/// Byte flips and cuts of a valid stream: whatever the status, every call returns, within its buffer.
static void corrupted_streams(void) {
    ck_rng rng = {ck_seed() ^ 0x4A504547};
    uint8_t *pixels = picture(24, 16, 3);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    shardkit_jpeg_encode(pixels, 24, 16, 3, 75, &jpeg, &size);
    uint8_t *mutant = ck_alloc(size);
    size_t out_size = 24 * 16 * 3;
    uint8_t *out = ck_alloc(out_size);
    int rejected = 0;
    ck_begin("400 corrupted streams decode or fail cleanly");
    for (int i = 0; i < 400; i++) {
        memcpy(mutant, jpeg, size);
        int flips = 1 + (int)ck_below(&rng, 8);
        for (int f = 0; f < flips; f++) mutant[ck_below(&rng, size)] = (uint8_t)ck_next(&rng);
        size_t length = i % 4 == 0 ? (size_t)ck_below(&rng, size + 1) : size;
        int w = 0, h = 0, c = 0;
        shardkit_jpeg_result r = shardkit_jpeg_read_header(mutant, length, &w, &h, &c);
        if (r.status == 0 && w == 24 && h == 16 && c == 3) r = shardkit_jpeg_decode(mutant, length, 3, out, out_size);
        else if (r.status == 0) r.status = 1;  // another size: the Swift side would allocate for it
        rejected += r.status != 0;
    }
    CK_CHECK(rejected > 0, "no corrupted stream was rejected");
    ck_note("jpeg: %d of 400 corrupted streams rejected", rejected);
    ck_end();
    free(out);
    free(mutant);
    shardkit_jpeg_free(jpeg);
    free(pixels);
}

void test_jpeg(void) {
    round_trip(37, 23, 1, 95, 1, 3.0);
    round_trip(40, 30, 3, 95, 3, 4.0);
    round_trip(40, 30, 3, 90, 1, 1e9);  // libjpeg's colour conversion; sizes and status only
    round_trip(17, 9, 1, 80, 3, 1e9);
    round_trip(1, 1, 3, 1, 3, 1e9);
    round_trip(64, 48, 3, 100, 3, 2.0);
    errors();
    corrupted_streams();
}
#endif
