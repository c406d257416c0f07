// The dropout mask's elementwise passes, fused with drawing the mask.
//
// In C for the AVX-512 path: the package builds its Swift for the baseline x86-64 (SSE2), where
// these loops ran four lanes wide, and drawing the multipliers apart meant zeroing, storing and
// reloading a buffer for every row of every tile (the bias–ReLU–mask pass and the draw took
// 3–4 % of the W2 step on one worker in `perf`, the buffer's zeroing alone 0.7 %). Here the
// multipliers of 16 Philox blocks (64 units) stay in four registers and go straight into the
// pass. The arithmetic is the same single-precision addition, comparison and multiplication on
// every path, so the bits do not depend on the path.

#include "mask_passes.h"
#include "cpu_features.h"
#include "philox_masks.h"
#include "philox_wide.h"

#pragma STDC FP_CONTRACT OFF

void thinned_masked_copy(const float *x, const float *m, float *y, int count) {
    for (int e = 0; e < count; e++) y[e] = x[e] * m[e];
}

void thinned_bias_relu_mask(float *z, const float *b, const float *m, int count) {
    for (int e = 0; e < count; e++) {
        float s = z[e] + b[e];
        z[e] = (s < 0.0f ? 0.0f : s) * m[e];
    }
}

enum { pass_copy, pass_bias_relu };

// The multipliers of up to 256 units at a time by the portable path, then the pass.
static void philox_pass_portable(int pass, uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                 uint32_t word2, uint32_t word3, uint32_t threshold, float scale, const float *x,
                                 const float *b, float *y, int count) {
    float m[256];
    for (int done = 0; done < count; done += 256) {
        int units = count - done < 256 ? count - done : 256;
        thinned_philox_multipliers_portable(key0, key1, first_block + (uint32_t)(done / 4), word1, word2, word3,
                                            threshold, scale, (units + 3) / 4, m);
        if (pass == pass_copy) {
            thinned_masked_copy(x + done, m, y + done, units);
        } else {
            thinned_bias_relu_mask(y + done, b + done, m, units);
        }
    }
}

void thinned_philox_masked_copy_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, uint32_t threshold, float scale,
                                         const float *x, float *y, int count) {
    philox_pass_portable(pass_copy, key0, key1, first_block, word1, word2, word3, threshold, scale, x, 0, y, count);
}

void thinned_philox_bias_relu_mask_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                            uint32_t word2, uint32_t word3, uint32_t threshold, float scale, float *z,
                                            const float *b, int count) {
    philox_pass_portable(pass_bias_relu, key0, key1, first_block, word1, word2, word3, threshold, scale, 0, b, z,
                         count);
}

#if defined(__x86_64__)

// The pass over the 16 units from unit `at` whose multipliers are m (only the units of `lanes`).
// Each pass offsets only the arrays it reads (the other is NULL).
__attribute__((target("avx512f"), always_inline)) static inline void pass_vector(int pass, __mmask16 lanes, __m512 m,
                                                                                const float *x, const float *b,
                                                                                float *y, int at) {
    if (pass == pass_copy) {
        _mm512_mask_storeu_ps(y + at, lanes, _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, x + at), m));
    } else {
        __m512 s = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, y + at), _mm512_maskz_loadu_ps(lanes, b + at));
        __mmask16 negative = _mm512_cmp_ps_mask(s, _mm512_setzero_ps(), _CMP_LT_OQ);
        _mm512_mask_storeu_ps(y + at, lanes, _mm512_mul_ps(_mm512_mask_mov_ps(s, negative, _mm512_setzero_ps()), m));
    }
}

// `groups` (1 or 2, a constant once inlined) groups of 16 blocks, the 64 · groups units from
// unit `done` on, of which only those below `count` are touched.
__attribute__((target("avx512f"), always_inline)) static inline void
philox_pass_groups(int pass, int groups, uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                   uint32_t word2, uint32_t word3, uint32_t threshold, float scale, const float *x, const float *b,
                   float *y, int done, int count) {
    __m512i x0[2], x1[2], x2[2], x3[2];
    const uint32_t first_blocks[2] = {first_block + (uint32_t)(done / 4), first_block + (uint32_t)(done / 4) + 16u};
    const uint32_t word3s[2] = {word3, word3};
    philox_rounds_split(key0, key1, first_blocks, word1, word2, word3s, groups, x0, x1, x2, x3);
    for (int g = 0; g < groups; g++) {
        __m512 m[4];
        philox_multiplier_vectors(x0[g], x1[g], x2[g], x3[g], threshold, scale, m);
        for (int q = 0; q < 4; q++) {
            int at = done + 64 * g + 16 * q, left = count - at;
            if (left <= 0) return;
            __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
            pass_vector(pass, lanes, m[q], x, b, y, at);
        }
    }
}

// Two groups at a time (their multiplies overlap) while more than one is left.
__attribute__((target("avx512f"), always_inline)) static inline void
philox_pass_wide(int pass, uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                 uint32_t word3, uint32_t threshold, float scale, const float *x, const float *b, float *y,
                 int count) {
    int done = 0;
    for (; count - done > 64; done += 128) {
        philox_pass_groups(pass, 2, key0, key1, first_block, word1, word2, word3, threshold, scale, x, b, y, done,
                           count);
    }
    if (done < count) {
        philox_pass_groups(pass, 1, key0, key1, first_block, word1, word2, word3, threshold, scale, x, b, y, done,
                           count);
    }
}

__attribute__((target("avx512f"))) static void philox_masked_copy_wide(uint32_t key0, uint32_t key1,
                                                                       uint32_t first_block, uint32_t word1,
                                                                       uint32_t word2, uint32_t word3,
                                                                       uint32_t threshold, float scale,
                                                                       const float *x, float *y, int count) {
    philox_pass_wide(pass_copy, key0, key1, first_block, word1, word2, word3, threshold, scale, x, 0, y, count);
}

__attribute__((target("avx512f"))) static void philox_bias_relu_mask_wide(uint32_t key0, uint32_t key1,
                                                                          uint32_t first_block, uint32_t word1,
                                                                          uint32_t word2, uint32_t word3,
                                                                          uint32_t threshold, float scale, float *z,
                                                                          const float *b, int count) {
    philox_pass_wide(pass_bias_relu, key0, key1, first_block, word1, word2, word3, threshold, scale, 0, b, z, count);
}

void thinned_philox_masked_copy(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, const float *x, float *y, int count) {
    if (thinned_cpu_has_avx512f()) {
        philox_masked_copy_wide(key0, key1, first_block, word1, word2, word3, threshold, scale, x, y, count);
    } else {
        thinned_philox_masked_copy_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, x, y,
                                            count);
    }
}

void thinned_philox_bias_relu_mask(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                   uint32_t word3, uint32_t threshold, float scale, float *z, const float *b,
                                   int count) {
    if (thinned_cpu_has_avx512f()) {
        philox_bias_relu_mask_wide(key0, key1, first_block, word1, word2, word3, threshold, scale, z, b, count);
    } else {
        thinned_philox_bias_relu_mask_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, z, b,
                                               count);
    }
}

#else

void thinned_philox_masked_copy(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, const float *x, float *y, int count) {
    thinned_philox_masked_copy_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, x, y, count);
}

void thinned_philox_bias_relu_mask(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                   uint32_t word3, uint32_t threshold, float scale, float *z, const float *b,
                                   int count) {
    thinned_philox_bias_relu_mask_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, z, b,
                                           count);
}

#endif
