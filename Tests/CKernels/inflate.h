#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t size;       // bytes written to `out`
    size_t consumed;   // bytes of input read, up to the end of the final block
    int blocks[3];     // blocks seen of each type: stored, fixed Huffman, dynamic Huffman
    const char *error; // null on success
} ck_inflate_result;

/// Decodes the raw deflate stream `in` into `out` (at most `capacity` bytes). Returns 0, or -1
/// with `result->error` set when the stream is invalid or does not fit.
int ck_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t capacity, ck_inflate_result *result);
