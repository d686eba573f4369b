// The deflate encoder (Sources/CShardKitDeflate/deflate.c): every output must decode, with the small
// strict inflater in inflate.c, to exactly its input, consuming exactly the bytes returned, within
// `shardkit_deflate_bound`; the bytes must not depend on the output buffer's old contents; and a
// digest of the streams for a fixed corpus must equal the value measured on x86-64, so the
// encoder is checked to be deterministic across architectures (the corpus is made by the
// splitmix64 generator with fixed seeds, not CK_SEED).
#include "ck.h"
#include "inflate.h"
#include "scanline_deflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// FNV-1a (64-bit) of every corpus stream, each preceded by its length as 8 little-endian bytes;
/// measured on x86-64. If the encoder's output changes on purpose, update this value.
#define CK_DEFLATE_DIGEST 0x4d5cfcc7f5072d77ull

// Streams made by zlib (raw deflate: a stored block, fixed codes, dynamic codes with matches at
// many distances) of the inputs that `zlib_input` rebuilds: they check the inflater itself.
static const uint8_t zlib_stored[18] = {
    0x01, 0x0d, 0x00, 0xf2, 0xff, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x64, 0x20, 0x62, 0x6c, 0x6f, 0x63,
    0x6b, 0x21,
};
static const uint8_t zlib_fixed[85] = {
    0xcb, 0xc9, 0xcc, 0x4b, 0x55, 0x30, 0xb0, 0x52, 0x28, 0xc9, 0x48, 0x55, 0x28, 0x2c, 0xcd, 0x4c,
    0xce, 0x56, 0x48, 0x2a, 0xca, 0x2f, 0xcf, 0x53, 0x48, 0xcb, 0xaf, 0x50, 0xc8, 0x2a, 0xcd, 0x2d,
    0x28, 0x56, 0xc8, 0x2f, 0x4b, 0x2d, 0x02, 0x4b, 0xe7, 0x24, 0x56, 0x55, 0x2a, 0xa4, 0xe4, 0xa7,
    0x2b, 0x18, 0x70, 0xe5, 0x80, 0x74, 0x19, 0x92, 0xa6, 0xcb, 0x10, 0xa2, 0xcb, 0x88, 0x34, 0x5d,
    0x26, 0x10, 0x5d, 0xc6, 0xa4, 0xe9, 0xb2, 0x84, 0xe8, 0x32, 0x21, 0xd1, 0x85, 0x66, 0x10, 0x6d,
    0xa6, 0x38, 0xb4, 0x01, 0x00,
};
static const uint8_t zlib_dynamic[255] = {
    0x95, 0xd5, 0x59, 0x52, 0xc3, 0x30, 0x10, 0x45, 0xd1, 0xff, 0xac, 0x42, 0x4b, 0x88, 0xba, 0x2d,
    0x59, 0x62, 0x37, 0x0c, 0x06, 0x02, 0x26, 0x86, 0x84, 0x30, 0xad, 0x9e, 0x02, 0xbd, 0x5e, 0xc0,
    0xfd, 0x76, 0xdd, 0xd2, 0x74, 0x24, 0xaf, 0x87, 0xe3, 0x92, 0xf6, 0x57, 0xe9, 0xfd, 0x71, 0x49,
    0x6f, 0x97, 0xc3, 0xed, 0x73, 0xba, 0x39, 0x6d, 0x9f, 0xc7, 0x74, 0xbf, 0x7d, 0xa5, 0xa7, 0xcb,
    0xcb, 0xeb, 0x39, 0x6d, 0x1f, 0xcb, 0xe9, 0xff, 0xf3, 0x7a, 0xfd, 0xf3, 0x9d, 0xee, 0xb6, 0x87,
    0xb4, 0xdf, 0xad, 0x7f, 0x55, 0x66, 0x55, 0x1e, 0x95, 0xb1, 0x6a, 0x1a, 0x95, 0xb3, 0xaa, 0x8f,
    0x6a, 0x82, 0x33, 0xac, 0x23, 0x2b, 0x2c, 0xb3, 0x32, 0xb2, 0xca, 0x32, 0xd7, 0x68, 0x33, 0xdc,
    0x10, 0xad, 0xad, 0xb1, 0xac, 0x6a, 0x23, 0x3b, 0xcb, 0x9a, 0x4e, 0x2d, 0x43, 0x22, 0xae, 0x0c,
    0x1a, 0x31, 0xcd, 0x32, 0x53, 0x25, 0xb3, 0x3a, 0xe8, 0x64, 0x36, 0x75, 0x50, 0x4a, 0x64, 0x50,
    0x8a, 0xc7, 0x6e, 0x42, 0x2a, 0x35, 0xc6, 0x83, 0x56, 0xba, 0x64, 0x66, 0x88, 0xc5, 0xe3, 0xf8,
    0xa0, 0x96, 0x59, 0x2f, 0x83, 0x41, 0x2d, 0x59, 0xeb, 0x33, 0xc8, 0xa5, 0x68, 0x9e, 0x06, 0xb9,
    0x74, 0x5d, 0x3d, 0x83, 0x5c, 0x26, 0xf1, 0x34, 0xc8, 0xa5, 0xc7, 0xdb, 0x07, 0xbd, 0x4c, 0xb1,
    0x3e, 0xe8, 0xa5, 0xc7, 0x3c, 0xa1, 0x97, 0x12, 0xe7, 0x07, 0xbd, 0x34, 0x65, 0x90, 0x4b, 0x15,
    0x4f, 0x87, 0x5c, 0x4c, 0xb7, 0xdd, 0x21, 0x97, 0xa6, 0x79, 0x3a, 0xe4, 0x52, 0xe2, 0x27, 0x04,
    0xb9, 0x98, 0x58, 0x3b, 0xe4, 0xd2, 0xf4, 0xc4, 0x3b, 0xe4, 0x52, 0xc5, 0xcc, 0xe9, 0x9f, 0x28,
    0xce, 0x01, 0x72, 0xc9, 0x31, 0x1e, 0xe5, 0xa2, 0xeb, 0xe7, 0xd4, 0x4b, 0xdd, 0xfd, 0x02,
};

// The text zlib compressed above: 40 lines, "line %d: the quick brown fox jumps over the lazy dog %d\n".
static size_t zlib_text(uint8_t *out, size_t capacity) {
    size_t size = 0;
    for (int i = 0; i < 40; i++)
        size += (size_t)snprintf((char *)out + size, capacity - size, "line %d: the quick brown fox jumps over the lazy dog %d\n",
                                 i, i * i % 97);
    return size;
}

static int block_types_seen[3];

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

// Compresses, checks the stream, and folds it into *digest (when not null). Returns 1 if good.
static int round_trip(const char *what, const uint8_t *data, size_t count, uint64_t *digest) {
    size_t bound = shardkit_deflate_bound(count);
    // Exactly `bound` bytes, so that ASan sees any write past it; filled with a pattern that the
    // stream must not depend on.
    uint8_t *out = ck_alloc(bound), *again = ck_alloc(bound + 1);
    memset(out, 0xA5, bound);
    memset(again, 0x5A, bound + 1);
    size_t size = shardkit_deflate_scanlines(data, count, out);
    int ok = 1;
    if (size == 0 || size > bound) {
        ck_fail("%s (%zu bytes): returned size %zu (bound %zu)", what, count, size, bound);
        ok = 0;
    } else {
        // Again, one byte further into a buffer with other contents: the same bytes.
        size_t size2 = shardkit_deflate_scanlines(data, count, again + 1);
        if (size2 != size || memcmp(out, again + 1, size) != 0) {
            ck_fail("%s (%zu bytes): a second run gave other bytes (%zu vs %zu)", what, count, size2, size);
            ok = 0;
        }
        uint8_t *decoded = ck_alloc(count + 1);
        ck_inflate_result r;
        if (ck_inflate(out, size, decoded, count, &r) != 0) {
            ck_fail("%s (%zu bytes): stream does not decode: %s (at input byte %zu, output %zu)", what, count, r.error,
                    r.consumed, r.size);
            ok = 0;
        } else {
            if (r.size != count || memcmp(decoded, data, count) != 0) {
                size_t at = 0;
                while (at < r.size && at < count && decoded[at] == data[at]) at++;
                ck_fail("%s (%zu bytes): decodes to %zu bytes, first difference at %zu", what, count, r.size, at);
                ok = 0;
            }
            if (r.consumed != size) {
                ck_fail("%s (%zu bytes): the final block ends at byte %zu of %zu returned", what, count, r.consumed, size);
                ok = 0;
            }
            for (int t = 0; t < 3; t++) block_types_seen[t] += r.blocks[t];
        }
        free(decoded);
        if (digest) {
            uint8_t length[8];
            for (int i = 0; i < 8; i++) length[i] = (uint8_t)((uint64_t)size >> (8 * i));
            *digest = fnv1a(fnv1a(*digest, length, 8), out, size);
        }
    }
    free(out);
    free(again);
    return ok;
}

// ---- Inputs.

static void runs(ck_rng *rng, uint8_t *p, size_t n, int alphabet, int longest) {
    for (size_t i = 0; i < n;) {
        uint8_t byte = (uint8_t)ck_below(rng, (uint64_t)alphabet);
        size_t run = 1 + (size_t)ck_below(rng, (uint64_t)longest);
        for (size_t k = 0; k < run && i < n; k++) p[i++] = byte;
    }
}

// An RGB image with gradients, flat rectangles and a little noise, filtered as the PNG writer does.
static size_t image_like(ck_rng *rng, uint8_t *out, size_t width, size_t height, int adaptive) {
    const size_t bpp = 3;
    uint8_t *pixels = ck_alloc(width * height * bpp);
    for (size_t y = 0; y < height; y++)
        for (size_t x = 0; x < width; x++)
            for (size_t c = 0; c < bpp; c++) {
                int flat = (x / 40 + y / 30) % 3 == 0;
                int v = flat ? 200 - 60 * (int)c : (int)(x * 2 + y + 50 * c) + (int)ck_below(rng, 4);
                pixels[(y * width + x) * bpp + c] = (uint8_t)v;
            }
    shardkit_png_filter_rows(pixels, width, height, bpp, adaptive, out);
    free(pixels);
    return (width * bpp + 1) * height;
}

// Symbol s (of 22) appears fib(s+1) times, shuffled: an optimal Huffman code for these counts is
// 21 bits deep, so the encoder must limit its code lengths to 15.
static size_t fibonacci(ck_rng *rng, uint8_t *p) {
    size_t n = 0, a = 1, b = 1;
    for (int s = 0; s < 22; s++) {
        for (size_t k = 0; k < a; k++) p[n++] = (uint8_t)(s * 11 + 1);
        size_t next = a + b;
        a = b;
        b = next;
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)ck_below(rng, i + 1);
        uint8_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    return n;
}

// The fixed corpus: each entry fills `p` (room for 400000 bytes) and returns its size.
static size_t corpus_entry(int index, uint8_t *p, const char **name) {
    ck_rng rng = {0xDEF1A7Eull + (uint64_t)index};
    switch (index) {
    case 0: *name = "empty"; return 0;
    case 1: *name = "one byte"; p[0] = 42; return 1;
    case 2: *name = "two bytes"; p[0] = 0, p[1] = 255; return 2;
    case 3: *name = "three equal bytes"; memset(p, 7, 3); return 3;
    case 4: *name = "four equal bytes"; memset(p, 7, 4); return 4;
    case 5: *name = "runs of 1..6"; runs(&rng, p, 5000, 256, 6); return 5000;
    case 6: *name = "random 100"; ck_fill_random(&rng, p, 100); return 100;
    case 7: *name = "random 65535"; ck_fill_random(&rng, p, 65535); return 65535;
    case 8: *name = "random 65536"; ck_fill_random(&rng, p, 65536); return 65536;
    case 9: *name = "random 200001"; ck_fill_random(&rng, p, 200001); return 200001;
    case 10: *name = "zeros 300000 (runs of 258 across blocks)"; memset(p, 0, 300000); return 300000;
    case 11: *name = "runs of 1..300 over 4 bytes, 150000"; runs(&rng, p, 150000, 4, 300); return 150000;
    case 12: *name = "runs of 1..20 over 256 bytes, 131071"; runs(&rng, p, 131071, 256, 20); return 131071;
    case 13: *name = "alternating two bytes"; for (int i = 0; i < 3000; i++) p[i] = (uint8_t)(i & 1); return 3000;
    case 14: *name = "fibonacci counts (length-limited code)"; return fibonacci(&rng, p);
    case 15: *name = "image 320x200 RGB, adaptive filters"; return image_like(&rng, p, 320, 200, 1);
    case 16: *name = "image 101x77 RGB, unfiltered"; return image_like(&rng, p, 101, 77, 0);
    case 17: {
        *name = "skewed text-like bytes";
        for (int i = 0; i < 40000; i++) {
            uint64_t r = ck_next(&rng);
            // A geometric-ish distribution over 32 letters.
            int letter = __builtin_ctzll(r | (1ull << 31));
            p[i] = (uint8_t)('a' + letter % 26);
        }
        return 40000;
    }
    case 18: {
        *name = "stored then runs then random blocks";
        ck_fill_random(&rng, p, 65535);
        memset(p + 65535, 9, 65535);
        runs(&rng, p + 2 * 65535, 65535, 3, 2);
        ck_fill_random(&rng, p + 3 * 65535, 100);
        return 3 * 65535 + 100;
    }
    default: return (size_t)-1;
    }
}

static void inflater_self_test(void) {
    ck_begin("the test's inflater decodes zlib's stored, fixed and dynamic blocks and rejects bad streams");
    uint8_t text[4096], out[4096];
    size_t text_len = zlib_text(text, sizeof text);
    const struct {
        const uint8_t *stream;
        size_t len;
        const uint8_t *want;
        size_t want_len;
        int type;
    } cases[] = {{zlib_stored, sizeof zlib_stored, (const uint8_t *)"stored block!", 13, 0},
                 {zlib_fixed, sizeof zlib_fixed, text, 300, 1},
                 {zlib_dynamic, sizeof zlib_dynamic, text, text_len, 2}};
    for (int c = 0; c < 3; c++) {
        ck_inflate_result r;
        int rc = ck_inflate(cases[c].stream, cases[c].len, out, sizeof out, &r);
        CK_CHECK(rc == 0, "case %d: %s", c, r.error);
        CK_CHECK(rc != 0 || (r.size == cases[c].want_len && memcmp(out, cases[c].want, r.size) == 0),
                 "case %d: wrong output (%zu bytes)", c, r.size);
        CK_CHECK(r.blocks[cases[c].type] == 1, "case %d: block type %d not seen", c, cases[c].type);
        CK_CHECK(rc != 0 || r.consumed == cases[c].len, "case %d: consumed %zu of %zu", c, r.consumed, cases[c].len);
        // Every truncation fails, and so does a too-small output.
        for (size_t cut = 0; cut < cases[c].len; cut++)
            CK_CHECK(ck_inflate(cases[c].stream, cut, out, sizeof out, &r) != 0, "case %d cut to %zu decodes", c, cut);
        CK_CHECK(cases[c].want_len == 0 || ck_inflate(cases[c].stream, cases[c].len, out, cases[c].want_len - 1, &r) != 0,
                 "case %d: overflow not caught", c);
    }
    uint8_t bad[sizeof zlib_stored];
    memcpy(bad, zlib_stored, sizeof bad);
    bad[3] ^= 1;  // NLEN no longer the complement of LEN
    ck_inflate_result r;
    CK_CHECK(ck_inflate(bad, sizeof bad, out, sizeof out, &r) != 0, "a bad stored length decodes");
    const uint8_t type3[] = {0x07, 0x00};
    CK_CHECK(ck_inflate(type3, sizeof type3, out, sizeof out, &r) != 0, "block type 3 decodes");
    ck_end();
}

void test_deflate(void) {
    inflater_self_test();

    uint8_t *input = ck_alloc(400000);
    uint64_t digest = 0xCBF29CE484222325ull;  // FNV-1a offset basis
    memset(block_types_seen, 0, sizeof block_types_seen);
    const char *name;
    ck_begin("fixed corpus round-trips (runs, random, image-like, skewed, block edges)");
    for (int index = 0;; index++) {
        size_t count = corpus_entry(index, input, &name);
        if (count == (size_t)-1) break;
        round_trip(name, input, count, &digest);
    }
    ck_end();
    ck_note("block types in the corpus: stored %d, fixed %d, dynamic %d", block_types_seen[0], block_types_seen[1],
            block_types_seen[2]);
    ck_begin("the corpus exercised stored, fixed and dynamic blocks");
    for (int t = 0; t < 3; t++) CK_CHECK(block_types_seen[t] > 0, "no block of type %d", t);
    ck_end();

    printf("  deflate digest: 0x%016llx\n", (unsigned long long)digest);
    ck_begin("deflate digest of the corpus equals the x86-64 value 0x%016llx", (unsigned long long)CK_DEFLATE_DIGEST);
    CK_CHECK(digest == CK_DEFLATE_DIGEST, "got 0x%016llx", (unsigned long long)digest);
    ck_end();

    ck_begin("random round-trips (seeded by CK_SEED)");
    ck_rng rng = {ck_seed() ^ 0xDEF1A7E5ull};
    for (int trial = 0; trial < 60; trial++) {
        size_t count = (size_t)ck_below(&rng, trial < 40 ? 3000 : 300000);
        int kind = trial % 4;
        if (kind == 0) ck_fill_random(&rng, input, count);
        else if (kind == 1) runs(&rng, input, count, 1 + (int)ck_below(&rng, 255), 1 + (int)ck_below(&rng, 400));
        else if (kind == 2) runs(&rng, input, count, 2, 3);
        else {
            size_t width = 1 + (size_t)ck_below(&rng, 300), height = 1 + (size_t)ck_below(&rng, 100);
            count = image_like(&rng, input, width, height, 1);
        }
        char what[64];
        snprintf(what, sizeof what, "trial %d kind %d", trial, kind);
        round_trip(what, input, count, NULL);
    }
    ck_end();
    free(input);
}
