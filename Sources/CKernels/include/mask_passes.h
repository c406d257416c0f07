#ifndef THINNED_MASK_PASSES_H
#define THINNED_MASK_PASSES_H

#include <stdint.h>

/// The elementwise passes of a row through its dropout mask, m[e] the multiplier of unit e:
///     masked copy:        y[e] = x[e] · m[e]                      (x and y may be the same array)
///     bias, ReLU, mask:   z[e] = r(z[e] + b[e]) · m[e],  r(s) = (s < 0 ? 0 : s)
/// for e in 0 ..< count: each element one addition, one comparison and one multiplication in
/// single precision, whatever the path, so the bits do not depend on it.

/// With the multipliers given.
void thinned_masked_copy(const float *x, const float *m, float *y, int count);
void thinned_bias_relu_mask(float *z, const float *b, const float *m, int count);

/// With the multipliers drawn as `thinned_philox_multipliers` draws them: unit e's is word e % 4
/// of the block (first_block + e / 4, word1, word2, word3), `scale` where that word is below
/// `threshold`, else 0. Where the CPU has AVX-512 the words are drawn 16 blocks to a vector and
/// used where they are, never stored; elsewhere the portable path below.
void thinned_philox_masked_copy(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, const float *x, float *y, int count);
void thinned_philox_bias_relu_mask(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                   uint32_t word3, uint32_t threshold, float scale, float *z, const float *b, int count);

/// The same two, always by the portable path: the multipliers of up to 256 units at a time from
/// `thinned_philox_multipliers_portable`, then the given-multiplier pass (for tests that compare
/// the paths).
void thinned_philox_masked_copy_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, uint32_t threshold, float scale,
                                         const float *x, float *y, int count);
void thinned_philox_bias_relu_mask_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                            uint32_t word2, uint32_t word3, uint32_t threshold, float scale, float *z,
                                            const float *b, int count);

#endif
