// libjpeg reports fatal errors through error_exit, which must not return: ours longjmps back
// into the shim function, which releases libjpeg's state and returns a status and a message.
#include "shardkit_jpeg.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} shim_error;

static void shim_error_exit(j_common_ptr cinfo) {
    shim_error *err = (shim_error *)cinfo->err;
    err->base.format_message(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings (e.g. "premature end of data segment") are treated as errors: a truncated or
// corrupt stream must not decode to a half-grey image that looks valid.
static void shim_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) {
        shim_error *err = (shim_error *)cinfo->err;
        err->base.format_message(cinfo, err->message);
        longjmp(err->jump, 1);
    }
}

static void shim_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void set_error(shardkit_jpeg_result *r, const char *message) {
    r->status = 1;
    snprintf(r->message, sizeof r->message, "%s", message);
}

static void install(shim_error *err, j_common_ptr cinfo) {
    (void)cinfo;
    jpeg_std_error(&err->base);
    err->base.error_exit = shim_error_exit;
    err->base.emit_message = shim_emit_message;
    err->base.output_message = shim_output_message;
    err->message[0] = 0;
}

shardkit_jpeg_result shardkit_jpeg_read_header(const uint8_t *data, size_t size, int *width, int *height, int *components) {
    shardkit_jpeg_result r = {0, ""};
    struct jpeg_decompress_struct cinfo;
    shim_error err;
    install(&err, (j_common_ptr)&cinfo);
    cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        set_error(&r, err.message);
        jpeg_destroy_decompress(&cinfo);
        return r;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int)cinfo.image_width;
    *height = (int)cinfo.image_height;
    *components = cinfo.num_components;
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) *components = 4;
    jpeg_destroy_decompress(&cinfo);
    return r;
}

shardkit_jpeg_result shardkit_jpeg_decode(const uint8_t *data, size_t size, int channels, uint8_t *out, size_t out_size) {
    shardkit_jpeg_result r = {0, ""};
    struct jpeg_decompress_struct cinfo;
    shim_error err;
    install(&err, (j_common_ptr)&cinfo);
    cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        set_error(&r, err.message);
        jpeg_destroy_decompress(&cinfo);
        return r;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        set_error(&r, "CMYK/YCCK JPEG is not supported");
        jpeg_destroy_decompress(&cinfo);
        return r;
    }
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_components != channels || stride * cinfo.output_height > out_size) {
        set_error(&r, "decoded size does not match the header");
        jpeg_destroy_decompress(&cinfo);
        return r;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + stride * cinfo.output_scanline;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            set_error(&r, "no progress reading scanlines");
            jpeg_destroy_decompress(&cinfo);
            return r;
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return r;
}

shardkit_jpeg_result shardkit_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                          uint8_t **out, size_t *out_size) {
    shardkit_jpeg_result r = {0, ""};
    struct jpeg_compress_struct cinfo;
    shim_error err;
    // libjpeg writes these through their addresses, so they live in memory across longjmp.
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    install(&err, (j_common_ptr)&cinfo);
    cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        set_error(&r, err.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return r;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + stride * cinfo.next_scanline);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = size;
    return r;
}

void shardkit_jpeg_free(void *p) { free(p); }
