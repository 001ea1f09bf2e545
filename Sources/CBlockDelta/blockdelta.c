#include "CBlockDelta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#if XXH_VERSION_NUMBER < 800
#error "XXH3's output is stable only from xxHash 0.8.0 (Debian 12's libxxhash-dev has 0.8.1)"
#endif

// ---- The rolling sum: h = sum over the block of (byte + OFFSET) * M^(length - 1 - i), modulo 2^32.

#define MULTIPLIER 0x08104225u
#define OFFSET 31u

static uint32_t power(uint32_t base, uint64_t exponent) {
    uint32_t result = 1;
    while (exponent) {
        if (exponent & 1) result *= base;
        base *= base;
        exponent >>= 1;
    }
    return result;
}

/// The rolling sum of a whole block, in 32 interleaved lanes: a single chain of multiplies would cost their latency
/// per byte. Portable version (any x86-64, or another architecture).
#define LANES 32
static uint32_t rolling_sum_portable(const uint8_t *data, size_t length) {
    uint32_t step = power(MULTIPLIER, LANES);
    uint32_t lane[LANES];
    for (int j = 0; j < LANES; j++) lane[j] = 0;
    size_t whole = length - length % LANES;
    for (size_t i = 0; i < whole; i += LANES) {
        for (int j = 0; j < LANES; j++) lane[j] = lane[j] * step + data[i + j] + OFFSET;
    }
    uint32_t h = 0;
    for (int j = 0; j < LANES; j++) h = h * MULTIPLIER + lane[j];
    for (size_t i = whole; i < length; i++) h = h * MULTIPLIER + data[i] + OFFSET;
    return h;
}

#if defined(__x86_64__)
typedef uint32_t lanes8 __attribute__((vector_size(32)));
typedef uint8_t bytes8 __attribute__((vector_size(8)));

/// The same sum with AVX2: four vectors of eight lanes (the baseline x86-64 target has no 32-bit vector multiply,
/// which made the portable loop the delta's largest cost).
__attribute__((target("avx2"))) static uint32_t rolling_sum_avx2(const uint8_t *data, size_t length) {
    uint32_t step = power(MULTIPLIER, LANES);
    lanes8 factor = {step, step, step, step, step, step, step, step};
    lanes8 offset = {OFFSET, OFFSET, OFFSET, OFFSET, OFFSET, OFFSET, OFFSET, OFFSET};
    lanes8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    size_t whole = length - length % LANES;
    for (size_t i = 0; i < whole; i += LANES) {
        bytes8 b0, b1, b2, b3;
        memcpy(&b0, data + i, 8);
        memcpy(&b1, data + i + 8, 8);
        memcpy(&b2, data + i + 16, 8);
        memcpy(&b3, data + i + 24, 8);
        a0 = a0 * factor + __builtin_convertvector(b0, lanes8) + offset;
        a1 = a1 * factor + __builtin_convertvector(b1, lanes8) + offset;
        a2 = a2 * factor + __builtin_convertvector(b2, lanes8) + offset;
        a3 = a3 * factor + __builtin_convertvector(b3, lanes8) + offset;
    }
    uint32_t h = 0;
    for (int j = 0; j < 8; j++) h = h * MULTIPLIER + a0[j];
    for (int j = 0; j < 8; j++) h = h * MULTIPLIER + a1[j];
    for (int j = 0; j < 8; j++) h = h * MULTIPLIER + a2[j];
    for (int j = 0; j < 8; j++) h = h * MULTIPLIER + a3[j];
    for (size_t i = whole; i < length; i++) h = h * MULTIPLIER + data[i] + OFFSET;
    return h;
}
#endif

static uint32_t rolling_sum(const uint8_t *data, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) return rolling_sum_avx2(data, length);
#endif
    return rolling_sum_portable(data, length);
}

uint32_t cblockdelta_rolling_sum(const uint8_t *data, size_t length, int portable) {
    return portable ? rolling_sum_portable(data, length) : rolling_sum(data, length);
}

static void strong_sum(const uint8_t *data, size_t length, uint32_t strong_length, uint8_t *out) {
    if (strong_length <= 8) {
        uint64_t h = XXH3_64bits(data, length);
        for (uint32_t i = 0; i < strong_length; i++) out[i] = (uint8_t)(h >> (8 * i));
    } else {
        XXH128_hash_t h = XXH3_128bits(data, length);
        for (uint32_t i = 0; i < strong_length; i++)
            out[i] = (uint8_t)(i < 8 ? h.low64 >> (8 * i) : h.high64 >> (8 * (i - 8)));
    }
}

static void put32(uint8_t *out, uint32_t value) {
    out[0] = (uint8_t)(value >> 24);
    out[1] = (uint8_t)(value >> 16);
    out[2] = (uint8_t)(value >> 8);
    out[3] = (uint8_t)value;
}

static uint32_t get32(const uint8_t *in) {
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

// ---- Signatures

void cblockdelta_parameters(int64_t basis_size, uint32_t minimum_block, uint32_t *block_length,
                            uint32_t *strong_length) {
    uint64_t size = basis_size > 0 ? (uint64_t)basis_size : 0;
    uint64_t root = (uint64_t)__builtin_sqrt((double)size);
    uint64_t block = root & ~(uint64_t)7;
    if (block < minimum_block) block = minimum_block;
    if (block > CBLOCKDELTA_MAX_BLOCK) block = CBLOCKDELTA_MAX_BLOCK;
    if (block > size && size > 0) block = size;  // one block covers a small basis
    if (block == 0) block = 1;
    // rsync's rule (10 bits plus twice the size's bits, less the block's, less the 32 of the rolling sum), and one
    // byte more: unlike rsync, a false match is not retried in the same sync, so it should be about 256 times rarer
    // (roughly one delta in 250,000 for a 256 MiB file).
    int bits = 10;
    for (uint64_t l = size; l >>= 1;) bits += 2;
    for (uint64_t c = block; (c >>= 1) && bits;) bits--;
    int bytes = (bits + 1 - 32 + 7) / 8 + 1;
    if (bytes < 4) bytes = 4;
    if (bytes > 16) bytes = 16;
    *block_length = (uint32_t)block;
    *strong_length = (uint32_t)bytes;
}

void cblockdelta_header(int64_t basis_size, uint32_t block_length, uint32_t strong_length, uint8_t *out) {
    put32(out, CBLOCKDELTA_MAGIC);
    put32(out + 4, block_length);
    put32(out + 8, strong_length);
    put32(out + 12, (uint32_t)((uint64_t)basis_size >> 32));
    put32(out + 16, (uint32_t)basis_size);
}

size_t cblockdelta_sums(const uint8_t *data, size_t length, uint32_t block_length, uint32_t strong_length,
                        uint8_t *out) {
    size_t written = 0;
    if (block_length == 0 || strong_length == 0 || strong_length > CBLOCKDELTA_MAX_STRONG) return 0;
    for (size_t at = 0; at < length; at += block_length) {
        size_t count = length - at < block_length ? length - at : block_length;
        put32(out + written, rolling_sum(data + at, count));
        strong_sum(data + at, count, strong_length, out + written + 4);
        written += 4 + strong_length;
    }
    return written;
}

struct cblockdelta_signature {
    uint32_t block_length;
    uint32_t strong_length;
    uint64_t blocks;       // all blocks, the short last one included
    uint64_t full_blocks;  // blocks of exactly block_length bytes: the ones searched anywhere
    uint32_t last_length;  // length of the last block
    uint32_t *weak;
    uint8_t *strong;
    uint32_t *next;  // chains of blocks with the same table slot, UINT32_MAX ends
    uint32_t *heads;
    uint32_t table_bits;
};

static uint32_t slot(const cblockdelta_signature *s, uint32_t weak) {
    return (uint32_t)((weak * 0x9E3779B1u) >> (32 - s->table_bits));
}

cblockdelta_signature *cblockdelta_signature_load(const uint8_t *bytes, size_t length, char *why,
                                                  size_t why_capacity, int *out_of_memory) {
    *out_of_memory = 0;
    if (length < CBLOCKDELTA_HEADER) {
        snprintf(why, why_capacity, "%zu bytes is shorter than the %d-byte header", length, CBLOCKDELTA_HEADER);
        return NULL;
    }
    uint32_t magic = get32(bytes);
    if (magic != CBLOCKDELTA_MAGIC) {
        snprintf(why, why_capacity, "magic 0x%08x is not understudy's block signature (0x%08x)", magic,
                 CBLOCKDELTA_MAGIC);
        return NULL;
    }
    uint32_t block_length = get32(bytes + 4);
    uint32_t strong_length = get32(bytes + 8);
    uint64_t basis_size = (uint64_t)get32(bytes + 12) << 32 | get32(bytes + 16);
    if (block_length < 1 || block_length > CBLOCKDELTA_MAX_BLOCK) {
        snprintf(why, why_capacity, "block length %u is outside 1...%u", block_length, CBLOCKDELTA_MAX_BLOCK);
        return NULL;
    }
    if (strong_length < 1 || strong_length > CBLOCKDELTA_MAX_STRONG) {
        snprintf(why, why_capacity, "strong sum length %u is outside 1...%u", strong_length,
                 CBLOCKDELTA_MAX_STRONG);
        return NULL;
    }
    if (basis_size > (uint64_t)1 << 50) {
        snprintf(why, why_capacity, "basis size %llu is beyond 1 PiB", (unsigned long long)basis_size);
        return NULL;
    }
    uint64_t blocks = (basis_size + block_length - 1) / block_length;
    uint64_t per_block = 4 + strong_length;
    uint64_t body = length - CBLOCKDELTA_HEADER;
    if (body != blocks * per_block) {
        snprintf(why, why_capacity,
                 "%llu bytes of sums do not match a basis of %llu bytes in %u-byte blocks (%llu blocks of %llu "
                 "bytes: truncated or altered)",
                 (unsigned long long)body, (unsigned long long)basis_size, block_length,
                 (unsigned long long)blocks, (unsigned long long)per_block);
        return NULL;
    }
    if (blocks >= UINT32_MAX) {
        snprintf(why, why_capacity, "%llu blocks is too many", (unsigned long long)blocks);
        return NULL;
    }
    cblockdelta_signature *s = calloc(1, sizeof *s);
    if (!s) goto memory;
    s->block_length = block_length;
    s->strong_length = strong_length;
    s->blocks = blocks;
    s->last_length = blocks ? (uint32_t)(basis_size - (blocks - 1) * block_length) : 0;
    s->full_blocks = blocks && s->last_length < block_length ? blocks - 1 : blocks;
    s->table_bits = 10;
    while (((uint64_t)1 << s->table_bits) < 2 * s->full_blocks && s->table_bits < 31) s->table_bits++;
    s->weak = malloc((blocks ? blocks : 1) * sizeof(uint32_t));
    s->strong = malloc((blocks ? blocks : 1) * strong_length);
    s->next = malloc((blocks ? blocks : 1) * sizeof(uint32_t));
    s->heads = malloc(((size_t)1 << s->table_bits) * sizeof(uint32_t));
    if (!s->weak || !s->strong || !s->next || !s->heads) goto memory;
    memset(s->heads, 0xff, ((size_t)1 << s->table_bits) * sizeof(uint32_t));
    const uint8_t *at = bytes + CBLOCKDELTA_HEADER;
    for (uint64_t i = 0; i < blocks; i++, at += per_block) {
        s->weak[i] = get32(at);
        memcpy(s->strong + i * strong_length, at + 4, strong_length);
    }
    // Chained from the last block down, so a chain lists blocks in file order (the first match is the earliest).
    for (uint64_t i = s->full_blocks; i-- > 0;) {
        uint32_t k = slot(s, s->weak[i]);
        s->next[i] = s->heads[k];
        s->heads[k] = (uint32_t)i;
    }
    return s;
memory:
    cblockdelta_signature_free(s);
    *out_of_memory = 1;
    snprintf(why, why_capacity, "out of memory for a signature of %llu blocks", (unsigned long long)blocks);
    return NULL;
}

void cblockdelta_signature_free(cblockdelta_signature *s) {
    if (!s) return;
    free(s->weak);
    free(s->strong);
    free(s->next);
    free(s->heads);
    free(s);
}

uint32_t cblockdelta_signature_block_length(const cblockdelta_signature *s) { return s->block_length; }

// ---- Delta search

/// Literals are sent at the latest every this many bytes, which bounds the window kept.
#define LITERAL_FLUSH (256u * 1024u)
#define DELTA_MAGIC 0x72730236u

struct cblockdelta_job {
    const cblockdelta_signature *sig;
    uint8_t *window;
    size_t capacity, count;
    size_t position;  // start of the candidate block in the window
    size_t literal;   // start of the bytes not yet sent (literal ≤ position)
    int have_weak;
    uint32_t weak;
    uint32_t remove_factor;  // M^block_length, to take a byte out of the sum
    int64_t last_block;      // the block matched last, -1 before any
    uint64_t copy_offset, copy_length;  // a pending copy, merged with the next one when adjacent
    uint8_t *out;
    size_t out_capacity, out_count;
    int header_sent, ended, failed;
    uint64_t copied_blocks, literal_bytes;
};

cblockdelta_job *cblockdelta_job_new(const cblockdelta_signature *sig) {
    cblockdelta_job *job = calloc(1, sizeof *job);
    if (!job) return NULL;
    job->sig = sig;
    job->last_block = -1;
    job->remove_factor = power(MULTIPLIER, sig->block_length);
    return job;
}

void cblockdelta_job_free(cblockdelta_job *job) {
    if (!job) return;
    free(job->window);
    free(job->out);
    free(job);
}

uint64_t cblockdelta_job_copied_blocks(const cblockdelta_job *job) { return job->copied_blocks; }
uint64_t cblockdelta_job_literal_bytes(const cblockdelta_job *job) { return job->literal_bytes; }

static int reserve_output(cblockdelta_job *job, size_t more) {
    if (job->out_count + more <= job->out_capacity) return 0;
    size_t wanted = job->out_capacity ? job->out_capacity : 64 * 1024;
    while (wanted < job->out_count + more) wanted *= 2;
    uint8_t *grown = realloc(job->out, wanted);
    if (!grown) return -1;
    job->out = grown;
    job->out_capacity = wanted;
    return 0;
}

static int width(uint64_t value) { return value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x100000000ull ? 4 : 8; }
static int width_index(int w) { return w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : 3; }

static void put_number(uint8_t *out, uint64_t value, int w) {
    for (int i = 0; i < w; i++) out[i] = (uint8_t)(value >> (8 * (w - 1 - i)));
}

static int flush_copy(cblockdelta_job *job) {
    if (!job->copy_length) return 0;
    if (reserve_output(job, 17)) return -1;
    int ow = width(job->copy_offset), lw = width(job->copy_length);
    uint8_t *o = job->out + job->out_count;
    o[0] = (uint8_t)(0x45 + 4 * width_index(ow) + width_index(lw));
    put_number(o + 1, job->copy_offset, ow);
    put_number(o + 1 + ow, job->copy_length, lw);
    job->out_count += 1 + ow + lw;
    job->copy_length = 0;
    return 0;
}

static int add_copy(cblockdelta_job *job, uint64_t offset, uint64_t length) {
    job->copied_blocks++;
    if (job->copy_length && job->copy_offset + job->copy_length == offset) {
        job->copy_length += length;
        return 0;
    }
    if (flush_copy(job)) return -1;
    job->copy_offset = offset;
    job->copy_length = length;
    return 0;
}

/// Sends the window's bytes from `literal` up to `end` as a LITERAL command.
static int flush_literal(cblockdelta_job *job, size_t end) {
    size_t length = end - job->literal;
    if (!length) return 0;
    if (flush_copy(job)) return -1;
    if (reserve_output(job, 9 + length)) return -1;
    uint8_t *o = job->out + job->out_count;
    size_t head;
    if (length <= 64) {
        o[0] = (uint8_t)length;
        head = 1;
    } else {
        int w = width(length);
        o[0] = (uint8_t)(0x41 + width_index(w));
        put_number(o + 1, length, w);
        head = 1 + (size_t)w;
    }
    memcpy(o + head, job->window + job->literal, length);
    job->out_count += head + length;
    job->literal_bytes += length;
    job->literal = end;
    return 0;
}

static int strong_matches(const cblockdelta_signature *s, uint64_t block, const uint8_t *computed) {
    return memcmp(s->strong + block * s->strong_length, computed, s->strong_length) == 0;
}

#define CHAIN_LIMIT 1024

/// The block whose sums the window at `data` has, or -1; the one after the last match first, so that runs of
/// equal blocks (zeros) copy in order and merge into one command.
static int64_t find_block(cblockdelta_job *job, const uint8_t *data) {
    const cblockdelta_signature *s = job->sig;
    uint8_t computed[CBLOCKDELTA_MAX_STRONG];
    int have_strong = 0;
    uint64_t hint = (uint64_t)(job->last_block + 1);
    if (job->last_block >= 0 && hint < s->full_blocks && s->weak[hint] == job->weak) {
        strong_sum(data, s->block_length, s->strong_length, computed);
        have_strong = 1;
        if (strong_matches(s, hint, computed)) return (int64_t)hint;
    }
    // A chain is cut short after CHAIN_LIMIT candidates: equal rolling sums in their thousands come only from a
    // signature made to slow the search down.
    int walked = 0;
    for (uint32_t b = s->heads[slot(s, job->weak)]; b != UINT32_MAX && walked < CHAIN_LIMIT; b = s->next[b], walked++) {
        if (s->weak[b] != job->weak) continue;
        if (!have_strong) {
            strong_sum(data, s->block_length, s->strong_length, computed);
            have_strong = 1;
        }
        if (strong_matches(s, b, computed)) return b;
    }
    return -1;
}

/// At the end of the input, the short last block of the basis can match the last bytes.
static int match_tail(cblockdelta_job *job) {
    const cblockdelta_signature *s = job->sig;
    if (!s->blocks || s->last_length >= s->block_length) return 0;
    size_t tail = s->last_length;
    if (job->count - job->position < tail) return 0;
    size_t at = job->count - tail;
    const uint8_t *data = job->window + at;
    uint64_t block = s->blocks - 1;
    if (rolling_sum(data, tail) != s->weak[block]) return 0;
    uint8_t computed[CBLOCKDELTA_MAX_STRONG];
    strong_sum(data, tail, s->strong_length, computed);
    if (!strong_matches(s, block, computed)) return 0;
    if (flush_literal(job, at)) return -1;
    if (add_copy(job, block * s->block_length, tail)) return -1;
    job->position = job->literal = job->count;
    return 0;
}

static int search(cblockdelta_job *job, int is_last) {
    const cblockdelta_signature *s = job->sig;
    const size_t block = s->block_length;
    uint8_t *w = job->window;
    if (!s->full_blocks) {
        // Nothing to search but the short last block at the very end: keep a block's worth, send the rest.
        size_t keep_from = job->count > block ? job->count - block : 0;
        if (keep_from >= job->literal + LITERAL_FLUSH && flush_literal(job, keep_from)) return -1;
        job->position = job->literal;
    }
    while (s->full_blocks && job->count - job->position >= block) {
        size_t pos = job->position;
        if (!job->have_weak) {
            job->weak = rolling_sum(w + pos, block);
            job->have_weak = 1;
        }
        int64_t found = find_block(job, w + pos);
        if (found >= 0) {
            if (flush_literal(job, pos)) return -1;
            if (add_copy(job, (uint64_t)found * block, block)) return -1;
            job->last_block = found;
            job->position = job->literal = pos + block;
            job->have_weak = 0;
            continue;
        }
        if (job->count - pos == block) break;  // rolling needs the byte after the block
        job->weak = job->weak * MULTIPLIER - (w[pos] + OFFSET) * job->remove_factor + w[pos + block] + OFFSET;
        job->position = pos + 1;
        if (job->position - job->literal >= LITERAL_FLUSH && flush_literal(job, job->position)) return -1;
    }
    if (!is_last) return 0;
    if (match_tail(job)) return -1;
    if (flush_literal(job, job->count)) return -1;
    if (flush_copy(job)) return -1;
    if (reserve_output(job, 1)) return -1;
    job->out[job->out_count++] = 0;  // END
    job->ended = 1;
    return 0;
}

int cblockdelta_job_feed(cblockdelta_job *job, const uint8_t *input, size_t length, int is_last,
                         const uint8_t **output, size_t *output_length) {
    job->out_count = 0;
    *output = job->out;
    *output_length = 0;
    if (job->failed) return -1;
    if (job->ended) return 0;
    if (!job->header_sent) {
        if (reserve_output(job, 4)) goto fail;
        put32(job->out, DELTA_MAGIC);
        job->out_count = 4;
        job->header_sent = 1;
    }
    // Drop what was sent, then append the input.
    if (job->literal > 0) {
        memmove(job->window, job->window + job->literal, job->count - job->literal);
        job->count -= job->literal;
        job->position -= job->literal;
        job->literal = 0;
    }
    if (job->count + length > job->capacity) {
        size_t wanted = job->capacity ? job->capacity : 2 * (size_t)job->sig->block_length + 256 * 1024;
        while (wanted < job->count + length) wanted *= 2;
        uint8_t *grown = realloc(job->window, wanted);
        if (!grown) goto fail;
        job->window = grown;
        job->capacity = wanted;
    }
    if (length) memcpy(job->window + job->count, input, length);
    job->count += length;
    if (search(job, is_last)) goto fail;
    *output = job->out;
    *output_length = job->out_count;
    return 0;
fail:
    job->failed = 1;
    return -1;
}
