#ifndef CBLOCKDELTA_H
#define CBLOCKDELTA_H

#include <stddef.h>
#include <stdint.h>

/// Block signatures and delta search, rsync's algorithm with faster sums: a 32-bit polynomial rolling sum
/// (Rabin-Karp) finds candidate blocks, XXH3 confirms them, and the delta is written in librsync's delta format
/// so librsync's patch applies it. No checksum of the result is carried: callers check the whole file.
///
/// A signature is a 20-byte header (magic "usB1", block length, strong sum length, basis size; big-endian) and,
/// for every block of the basis (the last one may be short), the rolling sum (4 bytes, big-endian) and the first
/// `strong_length` bytes of its XXH3 (64 bits, or 128 above 8 bytes; little-endian).

#define CBLOCKDELTA_MAGIC 0x75734231u
#define CBLOCKDELTA_HEADER 20
#define CBLOCKDELTA_MAX_BLOCK 131072u
#define CBLOCKDELTA_MAX_STRONG 16u

/// The block length and strong sum length for a basis of `basis_size` bytes: the block about the square root of
/// the size (at least `minimum_block`, at most 128 KiB, which is also the most a signature may ask for), and rsync's
/// rule for the strong sum plus one byte (a false match in the file is unlikely; at least 4 bytes).
void cblockdelta_parameters(int64_t basis_size, uint32_t minimum_block, uint32_t *block_length,
                            uint32_t *strong_length);

/// The rolling sum of a block (for tests: `portable` forces the version without vector instructions, which must
/// give the same sums).
uint32_t cblockdelta_rolling_sum(const uint8_t *data, size_t length, int portable);

/// Writes the signature header into `out` (CBLOCKDELTA_HEADER bytes).
void cblockdelta_header(int64_t basis_size, uint32_t block_length, uint32_t strong_length, uint8_t *out);

/// Sums of the blocks of `data`: every `block_length` bytes, and a short last block if `length` is not a
/// multiple. Writes (4 + strong_length) bytes per block into `out`; returns the bytes written.
size_t cblockdelta_sums(const uint8_t *data, size_t length, uint32_t block_length, uint32_t strong_length,
                        uint8_t *out);

/// A signature loaded for searching (its sums, indexed by rolling sum).
typedef struct cblockdelta_signature cblockdelta_signature;

/// Loads and checks a signature. On failure returns NULL, writes why into `why` (a sentence, no trailing dot) and
/// sets `*out_of_memory` to 1 when memory ran out (0 when the signature itself is bad).
cblockdelta_signature *cblockdelta_signature_load(const uint8_t *bytes, size_t length, char *why,
                                                  size_t why_capacity, int *out_of_memory);
void cblockdelta_signature_free(cblockdelta_signature *signature);
uint32_t cblockdelta_signature_block_length(const cblockdelta_signature *signature);

/// One delta: the new file's bytes in, librsync delta commands out.
typedef struct cblockdelta_job cblockdelta_job;

/// Borrows `signature`, which must outlive the job. NULL when memory runs out.
cblockdelta_job *cblockdelta_job_new(const cblockdelta_signature *signature);
void cblockdelta_job_free(cblockdelta_job *job);

/// Feeds the next bytes of the new file (any count; `is_last` with the final ones, possibly none). The delta
/// produced so far is at `*output` for `*output_length` bytes, valid until the next call. Returns 0, or -1 when
/// memory runs out (the job is then unusable).
int cblockdelta_job_feed(cblockdelta_job *job, const uint8_t *input, size_t length, int is_last,
                         const uint8_t **output, size_t *output_length);

/// Blocks the job copied from the basis, and bytes it sent as literals (for tests and logs).
uint64_t cblockdelta_job_copied_blocks(const cblockdelta_job *job);
uint64_t cblockdelta_job_literal_bytes(const cblockdelta_job *job);

#endif
