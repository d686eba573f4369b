// A deflate encoder (RFC 1951) specialised for PNG's filtered scanlines, after the fast PNG
// encoders fpng and fpnge. What a good filter leaves of an image is mostly literals and runs of
// one byte (background, flat areas), so the only matches sought are runs, copies at distance 1,
// found in one greedy pass: no hash table and no window to set up, which is most of zlib's cost
// on small images. Each block is tokenised once, its histogram gives the exact size of the block
// under its own dynamic Huffman codes, under the fixed codes and stored, and the smallest is sent.
#include "scanline_deflate.h"

#include <stdlib.h>
#include <string.h>

enum {
    BLOCK_SIZE = 65535,    // a stored block's limit, so any block can fall back to stored
    LITERALS = 286,        // literal/length symbols: 0-255 bytes, 256 end of block, 257-285 lengths
    END_OF_BLOCK = 256,
    RUN_TOKEN = 256,       // token value 256 + n is a run of n (3-258); below 256, a literal
    CODE_LENGTHS = 19,     // symbols of the code that codes the code lengths
};

// ---- Bit writer: deflate packs values from the least significant bit of each byte (3.1.1).

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the bit writer stores 64-bit words as they lie in memory: little-endian hosts only"
#endif

typedef struct {
    uint8_t *out;
    size_t size;    // whole bytes stored
    uint64_t bits;  // pending bits, the oldest in bit 0
    unsigned count; // number of pending bits, below 8 between calls
} bit_writer;

// Appends the low `count` bits of `value` (count <= 32, higher bits zero). Without branches:
// every call stores all 8 pending bytes and moves on by the whole bytes among them, so the
// buffer needs 8 bytes of slack past the end of the stream.
static inline void put(bit_writer *w, uint32_t value, unsigned count) {
    w->bits |= (uint64_t)value << w->count;
    w->count += count;
    memcpy(w->out + w->size, &w->bits, 8);
    w->size += w->count >> 3;
    w->bits >>= w->count & ~7u;
    w->count &= 7;
}

// Pads with zero bits to a byte boundary.
static void align_to_byte(bit_writer *w) {
    if (w->count > 0) put(w, 0, 8 - w->count);
}

// ---- Length symbols (3.2.5): lengths 3-258 map to symbols 257-285, some with extra bits.

static const uint16_t length_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                         31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

// The length symbol of a run, minus 257. From 11 on, each group of four symbols has one more
// extra bit than the last: with r = length - 3, r's top bit gives the group, the next two bits
// the symbol within it.
static inline unsigned length_index(unsigned length) {
    if (length <= 10) return length - 3;
    if (length == 258) return 28;
    unsigned r = length - 3;
    unsigned extra = 31 - (unsigned)__builtin_clz(r) - 2;
    return 4 * extra + 4 + ((r >> extra) & 3);
}

// ---- Huffman codes.

// Code lengths of a Huffman code for freq[0..n), none longer than `limit`; 0 for unused symbols,
// 1 for a lone used symbol (deflate has no zero-bit codes). n <= 288, each frequency < 2^16.
//
// The tree is built the classic way, merging the two lightest nodes: from the leaves sorted by
// weight, merged nodes are made in order of weight, so a second queue does the work of a heap.
// If the deepest leaf is deeper than `limit` (only for very skewed counts) the frequencies are
// halved, rounding up so no used symbol disappears, and the tree is built again; the weights
// flatten until it fits (all equal gives depth ceil(log2 n) <= 9). That costs a little
// compression in such blocks, never correctness.
static void build_lengths(const uint32_t *freq, int n, int limit, uint8_t *lengths) {
    int symbols[288], m = 0;
    memset(lengths, 0, (size_t)n);
    // Without a branch: which symbols are used is data, and would be mispredicted half the time.
    for (int s = 0; s < n; s++) {
        symbols[m] = s;
        m += freq[s] != 0;
    }
    if (m <= 1) {
        if (m == 1) lengths[symbols[0]] = 1;
        return;
    }
    // Nodes 0..m-1 are the leaves in weight order, m..2m-2 the merged nodes in order of making.
    uint32_t weight[2 * 288], key[288], sorted[288];  // weight: leaves, then merged nodes
    int parent[2 * 288], depth[2 * 288];
    for (unsigned shift = 0;; shift++) {
        // key = weight << 9 | symbol. Radix sort by weight, 8 bits a pass; stable, so equal
        // weights stay in symbol order. The second pass is skipped when every weight is < 256.
        uint32_t heaviest = 0;
        for (int k = 0; k < m; k++) {
            uint32_t w = (freq[symbols[k]] + (1u << shift) - 1) >> shift;
            key[k] = w << 9 | (uint32_t)symbols[k];
            heaviest |= w;
        }
        for (unsigned pass = 0; pass < 2 && (pass == 0 || heaviest >= 256); pass++) {
            unsigned offset[257] = {0};
            unsigned bit = 9 + 8 * pass;
            for (int k = 0; k < m; k++) offset[((key[k] >> bit) & 255) + 1]++;
            for (int b = 0; b < 256; b++) offset[b + 1] += offset[b];
            for (int k = 0; k < m; k++) sorted[offset[(key[k] >> bit) & 255]++] = key[k];
            memcpy(key, sorted, sizeof(uint32_t) * (size_t)m);
        }
        // weight[m] is a sentinel while the leaves last, and each merged node's weight is set
        // to "infinite" until it is made, so the choice below needs no bounds tests and compiles
        // to conditional moves: which queue wins is data, not a branch to mispredict.
        for (int k = 0; k < m; k++) weight[k] = key[k] >> 9;
        uint32_t leaf_weight[289];
        memcpy(leaf_weight, weight, sizeof(uint32_t) * (size_t)m);
        leaf_weight[m] = UINT32_MAX;
        for (int node = m; node < 2 * m - 1; node++) weight[node] = UINT32_MAX;
        int next_leaf = 0, next_merged = m;
        for (int node = m; node < 2 * m - 1; node++) {
            int pair[2];
            for (int i = 0; i < 2; i++) {
                // The lighter of the next leaf and the next merged node; a leaf wins a tie,
                // which keeps the tree shallower.
                int take_leaf = leaf_weight[next_leaf] <= weight[next_merged];
                pair[i] = take_leaf ? next_leaf : next_merged;
                next_leaf += take_leaf;
                next_merged += !take_leaf;
            }
            weight[node] = weight[pair[0]] + weight[pair[1]];
            parent[pair[0]] = parent[pair[1]] = node;
        }
        // The root is the last node made; every other node's parent was made after it.
        depth[2 * m - 2] = 0;
        int deepest = 0;
        for (int node = 2 * m - 3; node >= 0; node--) {
            depth[node] = depth[parent[node]] + 1;
            deepest = depth[node] > deepest ? depth[node] : deepest; // leaves are the deepest nodes
        }
        if (deepest <= limit) {
            for (int k = 0; k < m; k++) lengths[key[k] & 511] = (uint8_t)depth[k];
            return;
        }
    }
}

// The canonical codes for `lengths` (3.2.2): codes of one length are consecutive in symbol order,
// shorter codes first. Stored bit-reversed, because deflate sends Huffman codes from their most
// significant bit while the bit writer packs from the least significant one.
static uint16_t reversed16(unsigned c) {
    // Each byte's bits reversed: entry b is b with bit 0 swapped with bit 7, 1 with 6, and so on.
    static const uint8_t table[256] = {
#define R2(n) n, n + 128, n + 64, n + 192
#define R4(n) R2(n), R2(n + 32), R2(n + 16), R2(n + 48)
#define R6(n) R4(n), R4(n + 8), R4(n + 4), R4(n + 12)
        R6(0), R6(2), R6(1), R6(3)
#undef R2
#undef R4
#undef R6
    };
    return (uint16_t)(table[c & 255] << 8 | table[(c >> 8) & 255]);
}

static void assign_codes(const uint8_t *lengths, int n, uint16_t *codes) {
    unsigned count[16] = {0}, next[16];
    for (int s = 0; s < n; s++) count[lengths[s]]++;
    count[0] = 0;
    unsigned code = 0;
    for (int bits = 1; bits < 16; bits++) {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    for (int s = 0; s < n; s++) {
        unsigned length = lengths[s];
        if (length == 0) continue;
        codes[s] = (uint16_t)(reversed16(next[length]++) >> (16 - length));
    }
}

// The fixed literal/length code lengths (3.2.6): 0-143 in 8 bits, 144-255 in 9, 256-279 in 7,
// 280-287 in 8. Fixed distance codes are 5 bits.
static void fixed_lengths(uint8_t lengths[288]) {
    for (int s = 0; s < 288; s++) lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
}

// ---- The header of a dynamic block (3.2.7): the code lengths of both codes, run-length coded
// with symbols 16-18, themselves sent with a third Huffman code.

static const uint8_t code_length_order[CODE_LENGTHS] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5,
                                                        11, 4,  12, 3, 13, 2, 14, 1, 15};

typedef struct {
    int literal_count;             // HLIT + 257
    int code_length_count;         // HCLEN + 4
    int symbol_count;              // code-length symbols to send
    uint8_t symbols[LITERALS + 1]; // each a code length 0-15, or 16-18 with an extra value
    uint8_t extras[LITERALS + 1];
    uint8_t lengths[CODE_LENGTHS];
    uint16_t codes[CODE_LENGTHS];
    size_t bits; // size of the header after BFINAL and BTYPE
} dynamic_header;

static unsigned code_length_extra(unsigned symbol) { return symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0; }

// The one distance code is a single code of one bit for distance 1 (symbol 0), the form RFC 1951
// and zlib's inflate accept for a lone distance code, sent even when no run is.
static void make_header(dynamic_header *h, const uint8_t *literal_lengths) {
    int n = LITERALS;
    while (n > 257 && literal_lengths[n - 1] == 0) n--;
    h->literal_count = n;
    // The literal/length lengths, then the one distance length: one sequence, runs may cross.
    uint8_t all[LITERALS + 1];
    memcpy(all, literal_lengths, (size_t)n);
    all[n] = 1;
    int total = n + 1, count = 0;
    for (int i = 0; i < total;) {
        uint8_t length = all[i];
        int run = 1;
        while (i + run < total && all[i + run] == length) run++;
        i += run;
        if (length == 0) {
            for (; run >= 11; ) {
                int k = run < 138 ? run : 138;
                h->symbols[count] = 18, h->extras[count++] = (uint8_t)(k - 11), run -= k;
            }
            if (run >= 3) h->symbols[count] = 17, h->extras[count++] = (uint8_t)(run - 3), run = 0;
        } else {
            // The first of a run is sent as itself; 16 repeats the previous length 3-6 times.
            h->symbols[count] = length, h->extras[count++] = 0, run--;
            for (; run >= 3; ) {
                int k = run < 6 ? run : 6;
                h->symbols[count] = 16, h->extras[count++] = (uint8_t)(k - 3), run -= k;
            }
        }
        for (; run > 0; run--) h->symbols[count] = length, h->extras[count++] = 0;
    }
    h->symbol_count = count;
    uint32_t freq[CODE_LENGTHS] = {0};
    for (int k = 0; k < count; k++) freq[h->symbols[k]]++;
    build_lengths(freq, CODE_LENGTHS, 7, h->lengths);
    assign_codes(h->lengths, CODE_LENGTHS, h->codes);
    int sent = CODE_LENGTHS;
    while (sent > 4 && h->lengths[code_length_order[sent - 1]] == 0) sent--;
    h->code_length_count = sent;
    size_t bits = 5 + 5 + 4 + 3 * (size_t)sent;
    for (int k = 0; k < count; k++) bits += h->lengths[h->symbols[k]] + code_length_extra(h->symbols[k]);
    h->bits = bits;
}

static void write_header(bit_writer *w, const dynamic_header *h) {
    put(w, (uint32_t)(h->literal_count - 257), 5);
    put(w, 0, 5); // HDIST: one distance code
    put(w, (uint32_t)(h->code_length_count - 4), 4);
    for (int k = 0; k < h->code_length_count; k++) put(w, h->lengths[code_length_order[k]], 3);
    for (int k = 0; k < h->symbol_count; k++) {
        unsigned s = h->symbols[k];
        put(w, h->codes[s], h->lengths[s]);
        if (s >= 16) put(w, h->extras[k], code_length_extra(s));
    }
}

// ---- Blocks.

// Literals and runs of data[start..end) into `tokens`, counted in `freq`; returns the token count.
// Greedy: a run is taken wherever at least the next 3 bytes repeat the byte before them.
static size_t tokenize(const uint8_t *data, size_t start, size_t end, uint16_t *tokens, uint32_t *freq) {
    size_t count = 0, i = start;
    if (i == 0 && i < end) {
        // The first byte of the stream has nothing before it to repeat.
        tokens[count++] = data[0];
        freq[data[0]]++;
        i = 1;
    }
    while (i < end) {
        uint8_t byte = data[i];
        if (byte == data[i - 1]) {
            size_t limit = end - i < 258 ? end - i : 258, run = 1;
            while (run < limit && data[i + run] == byte) run++;
            if (run >= 3) {
                tokens[count++] = (uint16_t)(RUN_TOKEN + run);
                freq[257 + length_index((unsigned)run)]++;
                i += run;
                continue;
            }
        }
        tokens[count++] = byte;
        freq[byte]++;
        i++;
    }
    freq[END_OF_BLOCK] = 1;
    return count;
}

// Sends the tokens and the end of block with the given codes for literals/lengths and for
// distance 1 (distance symbol 0).
static void write_tokens(bit_writer *w, const uint16_t *tokens, size_t count, const uint16_t *codes,
                         const uint8_t *lengths, uint32_t distance_code, unsigned distance_length) {
    for (size_t k = 0; k < count; k++) {
        unsigned token = tokens[k];
        if (token < RUN_TOKEN) {
            put(w, codes[token], lengths[token]);
        } else {
            // Length symbol and its extra bits in one write (at most 15 + 5 bits).
            unsigned run = token - RUN_TOKEN, index = length_index(run), symbol = 257 + index;
            put(w, codes[symbol] | (uint32_t)(run - length_base[index]) << lengths[symbol],
                lengths[symbol] + length_extra[index]);
            put(w, distance_code, distance_length);
        }
    }
    put(w, codes[END_OF_BLOCK], lengths[END_OF_BLOCK]);
}

// Bits of the tokens counted in `freq` under literal/length code `lengths` and distance codes of
// `distance_length` bits, extra bits included.
static size_t data_bits(const uint32_t *freq, const uint8_t *lengths, unsigned distance_length) {
    size_t bits = 0;
    for (int s = 0; s < LITERALS; s++) bits += (size_t)freq[s] * lengths[s];
    for (int index = 0; index < 29; index++) bits += (size_t)freq[257 + index] * (length_extra[index] + distance_length);
    return bits;
}

static void write_block(bit_writer *w, const uint8_t *data, size_t start, size_t end, int final, uint16_t *tokens) {
    uint32_t freq[LITERALS] = {0};
    size_t token_count = tokenize(data, start, end, tokens, freq);

    uint8_t lengths[288];
    uint16_t codes[288];
    build_lengths(freq, LITERALS, 15, lengths);
    dynamic_header header;
    make_header(&header, lengths);
    size_t dynamic_bits = 3 + header.bits + data_bits(freq, lengths, 1);

    uint8_t fixed[288];
    fixed_lengths(fixed);
    size_t fixed_bits = 3 + data_bits(freq, fixed, 5);

    size_t padding = (8 - (w->count + 3) % 8) % 8;
    size_t stored_bits = 3 + padding + 32 + 8 * (end - start);

    if (stored_bits < dynamic_bits && stored_bits < fixed_bits) {
        put(w, (uint32_t)final, 3); // BTYPE 00
        align_to_byte(w);
        uint32_t length = (uint32_t)(end - start);
        put(w, length | (~length & 0xFFFF) << 16, 32);
        memcpy(w->out + w->size, data + start, end - start);
        w->size += end - start;
    } else if (dynamic_bits < fixed_bits) {
        put(w, (uint32_t)final | 2 << 1, 3); // BTYPE 10
        write_header(w, &header);
        assign_codes(lengths, LITERALS, codes);
        write_tokens(w, tokens, token_count, codes, lengths, 0, 1);
    } else {
        put(w, (uint32_t)final | 1 << 1, 3); // BTYPE 01
        assign_codes(fixed, 288, codes);
        write_tokens(w, tokens, token_count, codes, fixed, 0, 5);
    }
}

size_t shardkit_deflate_bound(size_t count) {
    // No block is larger than stored: its bytes, a 4-byte length, and at most 2 bytes for the
    // 3 header bits and the padding after them; plus 8 bytes the bit writer may store past the end.
    size_t blocks = count / BLOCK_SIZE + 1;
    return count + 6 * blocks + 8;
}

size_t shardkit_deflate_scanlines(const uint8_t *data, size_t count, uint8_t *out) {
    size_t capacity = count < BLOCK_SIZE ? (count ? count : 1) : BLOCK_SIZE;
    uint16_t *tokens = malloc(capacity * sizeof(uint16_t));
    if (!tokens) return 0;
    bit_writer w = {out, 0, 0, 0};
    size_t start = 0;
    do {
        size_t end = count - start > BLOCK_SIZE ? start + BLOCK_SIZE : count;
        write_block(&w, data, start, end, end == count, tokens);
        start = end;
    } while (start < count);
    align_to_byte(&w);
    free(tokens);
    return w.size;
}
