#ifndef THINNED_PHILOX_NORMALS_H
#define THINNED_PHILOX_NORMALS_H

#include <stdint.h>

/// Gaussian noise from Philox4x32-10 by the Box–Muller transform, added into rows of floats.
///
/// Normal n of the stream (key0, key1; word1, word2, word3) is lane n mod 4 of block n / 4, whose
/// counter is (n / 4, word1, word2, word3). A block's words (a, b, c, d) give two pairs: from (a, b)
/// the normals 0 and 1, from (c, d) the normals 2 and 3, each pair
///     u₁ = ((a >> 8) + 1)·2⁻²⁴ ∈ (0, 1],  u₂ = (b >> 8)·2⁻²⁴ ∈ [0, 1),
///     r = √(−2 ln u₁),  normals r·cos 2πu₂ and r·sin 2πu₂
/// (Box & Muller, Ann. Math. Statist. 29, 1958), with ln, cos and sin by fixed polynomials after an
/// exact range reduction, every operation one IEEE-754 single-precision operation (fused
/// multiply-adds written as such: C's fmaf, AVX-512's vfmadd) in a fixed order: so the result does
/// not depend on the code path or the machine.
///
/// Row r (0 ≤ r < rows) is the stream with word 3 = word3 + r; for j in 0 ..< count:
///     out[r·stride + j] = fma(scale, normal(first + j), out[r·stride + j]).
/// AVX-512 sixteen blocks at a time, four groups in flight, where the CPU and the OS support it,
/// else portable C.
void thinned_philox_normals_add(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                uint32_t word3, int rows, int count, long stride, float scale, float *out);

/// The same, always by the portable path (for tests that compare the two paths).
void thinned_philox_normals_add_portable(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                         uint32_t word3, int rows, int count, long stride, float scale, float *out);

/// The AVX-512 path alone, for tests that compare the paths: returns 0 and changes nothing on a
/// machine without AVX-512.
int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                      uint32_t word3, int rows, int count, long stride, float scale, float *out);

#endif
