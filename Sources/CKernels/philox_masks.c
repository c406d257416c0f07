// Dropout multipliers from Philox4x32-10, sixteen blocks per AVX-512 vector.
//
// Written in C, not Swift: Swift's SIMD types compile the 32×32→64-bit products of Philox to
// scalar code or slow shuffles (measured: 7.1 ns per block scalar, 7.2 with SIMD16<UInt32>, on the
// development VM), while one vpmuludq gives eight products; with four counters' vectors in flight
// this path takes about 2 ns per block there. Integer arithmetic only, so both paths give the same
// words on every machine; the AVX-512 one is chosen at run time (`thinned_cpu_has_avx512f`), never
// at build time, so one binary runs everywhere.

#include "philox_masks.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Unsigned 32-bit constants (an enum's would be int, which these exceed).
#define multiplier0 0xD2511F53u
#define multiplier1 0xCD9E8D57u
#define weyl0 0x9E3779B9u
#define weyl1 0xBB67AE85u

void thinned_philox_multipliers_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, uint32_t threshold, float scale, int blocks,
                                         float *out) {
    for (int i = 0; i < blocks; i++) {
        uint32_t c0 = first_block + (uint32_t)i, c1 = word1, c2 = word2, c3 = word3;
        uint32_t k0 = key0, k1 = key1;
        for (int round = 0; round < 10; round++) {
            uint64_t p0 = (uint64_t)multiplier0 * c0, p1 = (uint64_t)multiplier1 * c2;
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (uint32_t)p1;
            c2 = n2;
            c3 = (uint32_t)p0;
            k0 += weyl0;
            k1 += weyl1;
        }
        out[4 * i + 0] = c0 < threshold ? scale : 0.0f;
        out[4 * i + 1] = c1 < threshold ? scale : 0.0f;
        out[4 * i + 2] = c2 < threshold ? scale : 0.0f;
        out[4 * i + 3] = c3 < threshold ? scale : 0.0f;
    }
}

#if defined(__x86_64__)

// 32×32→64-bit products of the sixteen lanes of x by m: the high and low words, lane for lane.
// vpmuludq multiplies the even lanes; the odd ones are swapped into even place and back, with
// shuffles that run beside the multiplies.
__attribute__((target("avx512f"))) static inline void mulhilo(__m512i x, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i even = _mm512_mul_epu32(x, m);
    __m512i odd = _mm512_mul_epu32(_mm512_shuffle_epi32(x, 0xB1), m);
    *lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_shuffle_epi32(odd, 0xB1));
    *hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_shuffle_epi32(even, 0xB1), odd);
}

// The multipliers of words x0…x3 (lane i: block i) in block order: out[4 i + w].
__attribute__((target("avx512f"))) static inline void store_multipliers(__m512i x0, __m512i x1, __m512i x2, __m512i x3,
                                                                       uint32_t threshold, float scale, float *out) {
    __m512i t = _mm512_set1_epi32((int)threshold);
    __m512 s = _mm512_set1_ps(scale);
    __m512 f0 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x0, t), s);
    __m512 f1 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x1, t), s);
    __m512 f2 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x2, t), s);
    __m512 f3 = _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x3, t), s);
    // Transpose 4 × 16 into 16 blocks of 4: after the unpacks, 128-bit lane L of u_j holds block 4 L + j.
    __m512 t0 = _mm512_unpacklo_ps(f0, f1), t1 = _mm512_unpackhi_ps(f0, f1);
    __m512 t2 = _mm512_unpacklo_ps(f2, f3), t3 = _mm512_unpackhi_ps(f2, f3);
    __m512 u0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    __m512 u3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    __m512 lowBlocks01 = _mm512_shuffle_f32x4(u0, u1, 0x44);   // blocks 0 4 1 5
    __m512 lowBlocks23 = _mm512_shuffle_f32x4(u2, u3, 0x44);   // blocks 2 6 3 7
    __m512 highBlocks01 = _mm512_shuffle_f32x4(u0, u1, 0xEE);  // blocks 8 12 9 13
    __m512 highBlocks23 = _mm512_shuffle_f32x4(u2, u3, 0xEE);  // blocks 10 14 11 15
    _mm512_storeu_ps(out, _mm512_shuffle_f32x4(lowBlocks01, lowBlocks23, 0x88));
    _mm512_storeu_ps(out + 16, _mm512_shuffle_f32x4(lowBlocks01, lowBlocks23, 0xDD));
    _mm512_storeu_ps(out + 32, _mm512_shuffle_f32x4(highBlocks01, highBlocks23, 0x88));
    _mm512_storeu_ps(out + 48, _mm512_shuffle_f32x4(highBlocks01, highBlocks23, 0xDD));
}

// `groups` × 16 blocks from first_block on, `groups` ≤ 4 vectors in flight (their multiplies
// overlap). Inlined with `groups` a constant, so that the vectors stay in registers.
__attribute__((target("avx512f"), always_inline)) static inline void multipliers_wide(uint32_t key0, uint32_t key1, uint32_t first_block,
                                                                uint32_t word1, uint32_t word2, uint32_t word3,
                                                                uint32_t threshold, float scale, int groups,
                                                                float *out) {
    __m512i x0[4], x1[4], x2[4], x3[4];
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int g = 0; g < groups; g++) {
        x0[g] = _mm512_add_epi32(_mm512_set1_epi32((int)(first_block + 16u * (uint32_t)g)), lanes);
        x1[g] = _mm512_set1_epi32((int)word1);
        x2[g] = _mm512_set1_epi32((int)word2);
        x3[g] = _mm512_set1_epi32((int)word3);
    }
    const __m512i m0 = _mm512_set1_epi64(multiplier0), m1 = _mm512_set1_epi64(multiplier1);
    uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
        __m512i key0s = _mm512_set1_epi32((int)k0), key1s = _mm512_set1_epi32((int)k1);
        for (int g = 0; g < groups; g++) {
            __m512i hi0, lo0, hi1, lo1;
            mulhilo(x0[g], m0, &hi0, &lo0);
            mulhilo(x2[g], m1, &hi1, &lo1);
            x0[g] = _mm512_xor_si512(_mm512_xor_si512(hi1, x1[g]), key0s);
            x2[g] = _mm512_xor_si512(_mm512_xor_si512(hi0, x3[g]), key1s);
            x1[g] = lo1;
            x3[g] = lo0;
        }
        k0 += weyl0;
        k1 += weyl1;
    }
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
