// Dropout multipliers from Philox4x32-10, sixteen blocks per AVX-512 vector.
//
// Written in C, not Swift: Swift's SIMD types compile the 32×32→64-bit products of Philox to
// scalar code or slow shuffles (measured: 7.1 ns per block scalar, 7.2 with SIMD16<UInt32>, on the
// development VM), while one vpmuludq gives eight products; with four counters' vectors in flight
// (two at a time, philox_wide.h) this path takes about 1.7 ns per block on the Zen 4 VM. Integer arithmetic only, so both paths give the same
// words on every machine; the AVX-512 one is chosen at run time (`thinned_cpu_has_avx512f`), never
// at build time, so one binary runs everywhere.

#include "philox_masks.h"
#include "cpu_features.h"
#include "philox_wide.h"

void thinned_philox_multipliers_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                         float *out) {
    for (int i = 0; i < blocks; i++) {
        uint32_t c0 = first_block + (uint32_t)i, c1 = word1, c2 = word2, c3 = word3;
        philox_block_portable(&c0, &c1, &c2, &c3, key0, key1);
        out[4 * i + 0] = c0 < threshold ? scale : 0.0f;
        out[4 * i + 1] = c1 < threshold ? scale : 0.0f;
        out[4 * i + 2] = c2 < threshold ? scale : 0.0f;
        out[4 * i + 3] = c3 < threshold ? scale : 0.0f;
    }
}

#if defined(__x86_64__)

// The multipliers of words x0…x3 (lane i: block i) in block order: out[4 i + w].
__attribute__((target("avx512f"))) static inline void store_multipliers(__m512i x0, __m512i x1, __m512i x2, __m512i x3,
                                                                       uint32_t threshold, float scale, float *out) {
    __m512 m[4];
    philox_multiplier_vectors(x0, x1, x2, x3, threshold, scale, m);
    for (int q = 0; q < 4; q++) _mm512_storeu_ps(out + 16 * q, m[q]);
}

// `groups` × 16 blocks from first_block on, `groups` ≤ 4 vectors in flight (their multiplies
// overlap). Inlined with `groups` a constant, so that the vectors stay in registers.
__attribute__((target("avx512f"), always_inline)) static inline void multipliers_wide(uint32_t key0, uint32_t key1, uint32_t first_block,
                                                                uint32_t word1, uint32_t word2, uint32_t word3,
                                                                uint32_t threshold, float scale, int groups,
                                                                float *out) {
    __m512i x0[4], x1[4], x2[4], x3[4];
    const uint32_t first_blocks[4] = {first_block, first_block + 16u, first_block + 32u, first_block + 48u};
    const uint32_t word3s[4] = {word3, word3, word3, word3};
    philox_rounds_wide(key0, key1, first_blocks, word1, word2, word3s, groups, x0, x1, x2, x3);
    for (int g = 0; g < groups; g++) store_multipliers(x0[g], x1[g], x2[g], x3[g], threshold, scale, out + 64 * g);
}

// The whole groups of 16 blocks of `blocks`, four groups at a time while there are four; returns
// how many blocks it wrote.
__attribute__((target("avx512f"))) static int multipliers_whole_groups(uint32_t key0, uint32_t key1,
                                                                       uint32_t first_block, uint32_t word1,
                                                                       uint32_t word2, uint32_t word3,
                                                                       uint32_t threshold, float scale, int blocks,
                                                                       float *out) {
    int done = 0;
    for (; blocks - done >= 64; done += 64) {
        multipliers_wide(key0, key1, first_block + (uint32_t)done, word1, word2, word3, threshold, scale, 4,
                         out + 4 * done);
    }
    for (; blocks - done >= 16; done += 16) {
        multipliers_wide(key0, key1, first_block + (uint32_t)done, word1, word2, word3, threshold, scale, 1,
                         out + 4 * done);
    }
    return done;
}

// Every block of `blocks`: the whole groups as above, then the last 1–15 blocks as one more
// vector of 16, of which only those blocks' multipliers are kept (a lane's words do not depend
// on the other lanes).
__attribute__((target("avx512f"))) static void multipliers_all(uint32_t key0, uint32_t key1, uint32_t first_block,
                                                               uint32_t word1, uint32_t word2, uint32_t word3,
                                                               uint32_t threshold, float scale, int blocks, float *out) {
    int done = multipliers_whole_groups(key0, key1, first_block, word1, word2, word3, threshold, scale, blocks, out);
    if (done == blocks) return;
    float last[64] __attribute__((aligned(64)));
    multipliers_wide(key0, key1, first_block + (uint32_t)done, word1, word2, word3, threshold, scale, 1, last);
    for (int q = 0; q < 4; q++) {
        // Floats 16 q … 16 q + 15 of `last` hold blocks 4 q … 4 q + 3.
        int from = 4 * q, left = blocks - done - from;
        if (left <= 0) break;
        __mmask16 lanes = left >= 4 ? (__mmask16)0xFFFF : (__mmask16)((1u << (4 * left)) - 1u);
        _mm512_mask_storeu_ps(out + 4 * (done + from), lanes, _mm512_load_ps(last + 16 * q));
    }
}

int thinned_philox_multipliers_wide(void) { return thinned_cpu_has_avx512f(); }

int thinned_philox_multipliers_avx512(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                      uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                      float *out) {
    if (!thinned_cpu_has_avx512f()) return 0;
    multipliers_all(key0, key1, first_block, word1, word2, word3, threshold, scale, blocks, out);
    return 1;
}

void thinned_philox_multipliers(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, int blocks, float *out) {
    if (thinned_philox_multipliers_wide()) {
        multipliers_all(key0, key1, first_block, word1, word2, word3, threshold, scale, blocks, out);
    } else {
        thinned_philox_multipliers_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, blocks, out);
    }
}

#else

int thinned_philox_multipliers_wide(void) { return 0; }

int thinned_philox_multipliers_avx512(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                      uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                      float *out) {
    return 0;
}

void thinned_philox_multipliers(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, uint32_t threshold, float scale, int blocks, float *out) {
    thinned_philox_multipliers_portable(key0, key1, first_block, word1, word2, word3, threshold, scale, blocks, out);
}

#endif
