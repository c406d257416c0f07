#ifndef THINNED_PHILOX_MASKS_H
#define THINNED_PHILOX_MASKS_H

#include <stdint.h>

/// Dropout multipliers from Philox4x32-10, many blocks at a time.
///
/// For i in 0 ..< blocks and w in 0 ..< 4, with the counter
/// (first_block + i, word1, word2, word3) and the key (key0, key1):
///     out[4 i + w] = (word w of Philox(counter) < threshold) ? scale : 0.
/// The words are those of Philox4x32-10 exactly (Salmon et al., SC'11); the result does not depend
/// on which code path computes it. Where the CPU and the OS support AVX-512, every block goes
/// through it: whole groups of 16 blocks (four groups at once while there are four), then the
/// last 1–15 blocks as one more group of which only those are stored; elsewhere through
/// portable C, one block at a time.
void thinned_philox_multipliers(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, int blocks, float *out);

/// The same, always by the portable path (for tests that compare the two paths).
void thinned_philox_multipliers_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                         float *out);

/// The AVX-512 path alone, for tests that compare the paths: returns 0 and writes nothing on a
/// machine without AVX-512.
int thinned_philox_multipliers_avx512(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                      uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                      float *out);

/// 1 when `thinned_philox_multipliers` takes the AVX-512 path on this machine, else 0.
int thinned_philox_multipliers_wide(void);

#endif
