#ifndef THINNED_PHILOX_NORMALS_H
#define THINNED_PHILOX_NORMALS_H

#include <stdint.h>

/// Gaussian noise from Philox4x32-10 by the Box–Muller transform, added into rows of floats.
///
/// The normals of the stream (key0, key1; word1, word2, word3) come in windows of 64: window W
/// from the 16 blocks with counters (16W + i, word1, word2, word3), i < 16, whose words (a, b, c, d)
/// give normal 64W + i and 64W + 16 + i from the pair (a, b), 64W + 32 + i and 64W + 48 + i from
/// (c, d) — lanes of a vector, so the AVX-512 path never transposes. Each pair
///     u₁ = ((a >> 8) + 1)·2⁻²⁴ ∈ (0, 1],  u₂ = (b >> 8)·2⁻²⁴ ∈ [0, 1),
///     r = √(−2 ln u₁),  normals r·cos 2πu₂ and r·sin 2πu₂
/// (Box & Muller, Ann. Math. Statist. 29, 1958), with ln, cos and sin each by a table of floats
/// (below) and a short polynomial after an exact range reduction, every operation one IEEE-754 single-precision operation (fused
/// multiply-adds written as such: C's fmaf, AVX-512's vfmadd) in a fixed order: so the result does
/// not depend on the code path or the machine.
///
/// Row r (0 ≤ r < rows) is the stream with word 3 = word3 + r; for j in 0 ..< count:
///     out[r·stride + j] = fma(scale, normal(first + j), out[r·stride + j]).
/// AVX-512 sixteen blocks at a time, two groups in flight, where the CPU and the OS support it,
/// else portable C.
void thinned_philox_normals_add(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                uint32_t word3, int rows, int count, long stride, float scale, float *out);

/// The tables of the transform (philox_normals.c says how they are used): for the 16 intervals
/// of ln's reduction, 1/c and ln c; cos and sin of 2πj/32. Each entry is the float nearest to its
/// formula; exported so that the tests can check that.
extern const float thinned_noise_inverse_centres[16];
extern const float thinned_noise_log_centres[16];
extern const float thinned_noise_cosines[32];
extern const float thinned_noise_sines[32];

/// The same, always by the portable path (for tests that compare the two paths).
void thinned_philox_normals_add_portable(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                         uint32_t word3, int rows, int count, long stride, float scale, float *out);

/// The AVX-512 path alone, for tests that compare the paths: returns 0 and changes nothing on a
/// machine without AVX-512.
int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                      uint32_t word3, int rows, int count, long stride, float scale, float *out);

/// The transform alone, on given words: (zc[i], zs[i]) are the normals of the pair (a[i], b[i])
/// for i < n, by the portable path — for tests that reach the u₁ a stream seldom draws (the
/// smallest, where ln has the most to do).
void thinned_box_muller_portable(const uint32_t *a, const uint32_t *b, long n, float *zc, float *zs);

/// The same by the AVX-512 path: returns 0 and changes nothing on a machine without AVX-512.
int thinned_box_muller_avx512(const uint32_t *a, const uint32_t *b, long n, float *zc, float *zs);

#endif
