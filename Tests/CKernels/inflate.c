// A small, strict inflater (RFC 1951) for checking the encoder's output without zlib (the arm64
// zlib is not installed for the cross build). It decodes stored, fixed and dynamic Huffman
// blocks with any distance, and rejects what zlib's inflate rejects: over-subscribed codes,
// incomplete codes (except a lone one-bit code, as zlib allows for literal/length and distance
// codes), invalid symbols, distances before the start, bad stored lengths, truncated input.
#include "inflate.h"

#include <string.h>

typedef struct {
    const uint8_t *in;
    size_t in_len, pos;
    uint32_t bits;  // pending input bits, the next one in bit 0
    int count;      // number of them, always below 8 between reads
    uint8_t *out;
    size_t capacity, size;
    const char *error;
} state;

// Canonical Huffman code: count[len] codes of each length, symbols sorted by (length, symbol).
typedef struct {
    uint16_t count[16];
    uint16_t symbol[288];
} huffman;

static int fail(state *s, const char *error) {
    if (!s->error) s->error = error;
    return -1;
}

// The next `n` bits (n <= 16), first bit lowest; 0 with s->error set past the end of the input.
static unsigned take(state *s, int n) {
    while (s->count < n) {
        if (s->pos >= s->in_len) {
            fail(s, "input ends inside the stream");
            return 0;
        }
        s->bits |= (uint32_t)s->in[s->pos++] << s->count;
        s->count += 8;
    }
    unsigned v = s->bits & ((1u << n) - 1);
    s->bits >>= n;
    s->count -= n;
    return v;
}

// Builds the code from the lengths of n symbols; `lone_ok` accepts an incomplete code made of a
// single one-bit code. Returns 0, or -1 for a code no decoder accepts.
static int build(state *s, huffman *h, const uint8_t *lengths, int n, int lone_ok) {
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++) h->count[lengths[i]]++;
    h->count[0] = 0;
    int left = 1, used = 0;
    for (int len = 1; len < 16; len++) {
        left = 2 * left - h->count[len];
        used += h->count[len];
        if (left < 0) return fail(s, "over-subscribed Huffman code");
    }
    if (left > 0 && used > 0 && !(lone_ok && used == 1 && h->count[1] == 1))
        return fail(s, "incomplete Huffman code");
    uint16_t next[16];
    next[1] = 0;
    for (int len = 1; len < 15; len++) next[len + 1] = (uint16_t)(next[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (lengths[i]) h->symbol[next[lengths[i]]++] = (uint16_t)i;
    return 0;
}

// One symbol: read the code a bit at a time, most significant bit first; codes of each length
// are consecutive integers, starting where the shorter ones ended (doubled).
static int decode(state *s, const huffman *h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; len++) {
        code |= (int)take(s, 1);
        if (s->error) return -1;
        int n = h->count[len];
        if (code >= first && code - first < n) return h->symbol[index + code - first];
        index += n;
        first = (first + n) << 1;
        code <<= 1;
    }
    return fail(s, "no such Huffman code");
}

static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_bits[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t distance_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                           193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t distance_bits[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int codes(state *s, const huffman *literal, const huffman *distance) {
    for (;;) {
        int symbol = decode(s, literal);
        if (symbol < 0) return -1;
        if (symbol < 256) {
            if (s->size >= s->capacity) return fail(s, "output longer than expected");
            s->out[s->size++] = (uint8_t)symbol;
        } else if (symbol == 256) {
            return 0;
        } else {
            symbol -= 257;
            if (symbol >= 29) return fail(s, "invalid length symbol");
            size_t length = length_base[symbol] + take(s, length_bits[symbol]);
            int d = decode(s, distance);
            if (d < 0) return -1;
            if (d >= 30) return fail(s, "invalid distance symbol");
            size_t dist = distance_base[d] + take(s, distance_bits[d]);
            if (s->error) return -1;
            if (dist > s->size) return fail(s, "distance before the start of the output");
            if (length > s->capacity - s->size) return fail(s, "output longer than expected");
            for (size_t i = 0; i < length; i++, s->size++) s->out[s->size] = s->out[s->size - dist];
        }
    }
}

static int stored(state *s) {
    s->bits = 0;  // the rest of the current byte
    s->count = 0;
    if (s->in_len - s->pos < 4) return fail(s, "input ends inside a stored block's header");
    unsigned len = s->in[s->pos] | s->in[s->pos + 1] << 8, nlen = s->in[s->pos + 2] | s->in[s->pos + 3] << 8;
    s->pos += 4;
    if (len != (~nlen & 0xffff)) return fail(s, "stored block length does not match its complement");
    if (s->in_len - s->pos < len) return fail(s, "input ends inside a stored block");
    if (s->capacity - s->size < len) return fail(s, "output longer than expected");
    memcpy(s->out + s->size, s->in + s->pos, len);
    s->pos += len;
    s->size += len;
    return 0;
}

static int fixed(state *s) {
    uint8_t lengths[288 + 30];
    for (int i = 0; i < 288; i++) lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
    for (int i = 0; i < 30; i++) lengths[288 + i] = 5;
    huffman literal, distance;
    if (build(s, &literal, lengths, 288, 0) < 0) return -1;
    // The fixed distance code has 32 five-bit codes of which 30 are used; build all 32 so the
    // code is complete, and let `codes` reject 30 and 31.
    uint8_t five[32];
    memset(five, 5, sizeof five);
    if (build(s, &distance, five, 32, 0) < 0) return -1;
    return codes(s, &literal, &distance);
}

static int dynamic(state *s) {
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int nlit = (int)take(s, 5) + 257, ndist = (int)take(s, 5) + 1, ncode = (int)take(s, 4) + 4;
    if (s->error) return -1;
    if (nlit > 286 || ndist > 30) return fail(s, "too many literal/length or distance codes");
    uint8_t lengths[286 + 30];
    memset(lengths, 0, 19);
    for (int i = 0; i < ncode; i++) lengths[order[i]] = (uint8_t)take(s, 3);
    if (s->error) return -1;
    huffman lencode, literal, distance;
    if (build(s, &lencode, lengths, 19, 0) < 0) return -1;
    for (int i = 0; i < nlit + ndist;) {
        int symbol = decode(s, &lencode);
        if (symbol < 0) return -1;
        if (symbol < 16) {
            lengths[i++] = (uint8_t)symbol;
            continue;
        }
        int repeat, value = 0;
        if (symbol == 16) {
            if (i == 0) return fail(s, "repeat with no previous length");
            value = lengths[i - 1];
            repeat = 3 + (int)take(s, 2);
        } else if (symbol == 17) {
            repeat = 3 + (int)take(s, 3);
        } else {
            repeat = 11 + (int)take(s, 7);
        }
        if (s->error) return -1;
        if (i + repeat > nlit + ndist) return fail(s, "code lengths run past the end");
        while (repeat--) lengths[i++] = (uint8_t)value;
    }
    if (lengths[256] == 0) return fail(s, "no code for the end of block");
    if (build(s, &literal, lengths, nlit, 1) < 0) return -1;
    if (build(s, &distance, lengths + nlit, ndist, 1) < 0) return -1;
    return codes(s, &literal, &distance);
}

int ck_inflate(const uint8_t *in, size_t in_len, uint8_t *out, size_t capacity, ck_inflate_result *result) {
    state s = {in, in_len, 0, 0, 0, out, capacity, 0, 0};
    memset(result, 0, sizeof *result);
    int last;
    do {
        last = (int)take(&s, 1);
        int type = (int)take(&s, 2);
        if (s.error) break;
        if (type == 3) {
            fail(&s, "block type 3");
            break;
        }
        result->blocks[type]++;
        int rc = type == 0 ? stored(&s) : type == 1 ? fixed(&s) : dynamic(&s);
        if (rc < 0) break;
    } while (!last);
    result->consumed = s.pos;  // whole bytes read; the final byte's padding bits are not looked at
    result->size = s.size;
    result->error = s.error;
    return s.error ? -1 : 0;
}
