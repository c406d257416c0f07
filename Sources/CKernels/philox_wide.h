// Philox4x32-10 on sixteen counters per AVX-512 vector, shared by the kernels that draw from it
// (dropout multipliers, Gaussian noise). Private to CKernels: not in include/.

#ifndef THINNED_PHILOX_WIDE_H
#define THINNED_PHILOX_WIDE_H

#include <stdint.h>

// Unsigned 32-bit constants (an enum's would be int, which these exceed).
#define philox_multiplier0 0xD2511F53u
#define philox_multiplier1 0xCD9E8D57u
#define philox_weyl0 0x9E3779B9u
#define philox_weyl1 0xBB67AE85u

// The four words of Philox4x32-10 for the counter (c0, c1, c2, c3) and the key (k0, k1), in place.
static inline void philox_block_portable(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3, uint32_t k0,
                                         uint32_t k1) {
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)philox_multiplier0 * *c0, p1 = (uint64_t)philox_multiplier1 * *c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ *c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ *c3 ^ k1;
        *c0 = n0;
        *c1 = (uint32_t)p1;
        *c2 = n2;
        *c3 = (uint32_t)p0;
        k0 += philox_weyl0;
        k1 += philox_weyl1;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Philox of `groups` ≤ 2 vectors of 16 counters (see philox_rounds_wide), each held as two
// vectors of eight 64-bit lanes, the even and the odd blocks, with the word in the low half of
// its lane. vpmuludq reads only those low halves and leaves the whole 64-bit product in the
// lane: its low half is the next round's word 1 or 3 as it stands, and one in-lane swap brings
// the high half down for the next word 0 or 2. So a round costs a multiply, a swap and a
// three-way xor per vector, against the lane-for-lane form's shuffles and blends to split and
// rejoin each product (a fifth faster on Zen 4; the same bits). The halves are joined once, at
// the end.
__attribute__((target("avx512f"), always_inline)) static inline void
philox_rounds_split(uint32_t key0, uint32_t key1, const uint32_t *first_blocks, uint32_t word1, uint32_t word2,
                    const uint32_t *word3s, int groups, __m512i *x0, __m512i *x1, __m512i *x2, __m512i *x3) {
    __m512i a0[4], a1[4], a2[4], a3[4];
    const __m512i evens = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    for (int g = 0; g < groups; g++) {
        for (int half = 0; half < 2; half++) {
            int v = 2 * g + half;
            a0[v] = _mm512_add_epi64(_mm512_set1_epi64((long long)first_blocks[g] + half), evens);
            a1[v] = _mm512_set1_epi32((int)word1);
            a2[v] = _mm512_set1_epi32((int)word2);
            a3[v] = _mm512_set1_epi32((int)word3s[g]);
        }
    }
    const __m512i m0 = _mm512_set1_epi64(philox_multiplier0), m1 = _mm512_set1_epi64(philox_multiplier1);
    uint32_t k0 = key0, k1 = key1;
    for (int round = 0; round < 10; round++) {
        __m512i key0s = _mm512_set1_epi32((int)k0), key1s = _mm512_set1_epi32((int)k1);
        for (int v = 0; v < 2 * groups; v++) {
            __m512i p0 = _mm512_mul_epu32(a0[v], m0), p1 = _mm512_mul_epu32(a2[v], m1);
            // 0x96: a ^ b ^ c.
            a0[v] = _mm512_ternarylogic_epi32(_mm512_shuffle_epi32(p1, 0xB1), a1[v], key0s, 0x96);
            a2[v] = _mm512_ternarylogic_epi32(_mm512_shuffle_epi32(p0, 0xB1), a3[v], key1s, 0x96);
            a1[v] = p1;
            a3[v] = p0;
        }
        k0 += philox_weyl0;
        k1 += philox_weyl1;
    }
    for (int g = 0; g < groups; g++) {
        // Lane 2j from the even blocks' lane j, lane 2j + 1 from the odd blocks' (swapped up).
        x0[g] = _mm512_mask_blend_epi32(0xAAAA, a0[2 * g], _mm512_shuffle_epi32(a0[2 * g + 1], 0xB1));
        x1[g] = _mm512_mask_blend_epi32(0xAAAA, a1[2 * g], _mm512_shuffle_epi32(a1[2 * g + 1], 0xB1));
        x2[g] = _mm512_mask_blend_epi32(0xAAAA, a2[2 * g], _mm512_shuffle_epi32(a2[2 * g + 1], 0xB1));
        x3[g] = _mm512_mask_blend_epi32(0xAAAA, a3[2 * g], _mm512_shuffle_epi32(a3[2 * g + 1], 0xB1));
    }
}

// Philox of `groups` ≤ 4 vectors of 16 counters, group g's lane i the counter
// (first_blocks[g] + i, word1, word2, word3s[g]): on return x0[g] … x3[g] hold words 0 … 3 of
// those blocks. Inlined with `groups` a constant; two groups at a time are as many as the
// registers hold (four spill).
__attribute__((target("avx512f"), always_inline)) static inline void
philox_rounds_wide(uint32_t key0, uint32_t key1, const uint32_t *first_blocks, uint32_t word1, uint32_t word2,
                   const uint32_t *word3s, int groups, __m512i *x0, __m512i *x1, __m512i *x2, __m512i *x3) {
    for (int g = 0; g < groups; g += 2) {
        int n = groups - g < 2 ? groups - g : 2;
        philox_rounds_split(key0, key1, first_blocks + g, word1, word2, word3s + g, n, x0 + g, x1 + g, x2 + g, x3 + g);
    }
}

// f0 … f3 (lane i: word 0 … 3 of block i, as floats) in block order: lane j of m[q] is word
// j % 4 of block 4 q + j / 4, i.e. the multiplier of unit 16 q + j of the 16 blocks.
__attribute__((target("avx512f"), always_inline)) static inline void philox_transpose_blocks(__m512 f0, __m512 f1, __m512 f2,
                                                                                           __m512 f3, __m512 m[4]) {
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
    m[0] = _mm512_shuffle_f32x4(lowBlocks01, lowBlocks23, 0x88);
    m[1] = _mm512_shuffle_f32x4(lowBlocks01, lowBlocks23, 0xDD);
    m[2] = _mm512_shuffle_f32x4(highBlocks01, highBlocks23, 0x88);
    m[3] = _mm512_shuffle_f32x4(highBlocks01, highBlocks23, 0xDD);
}

// The dropout multipliers of 16 blocks whose words are x0 … x3 (lane i: block i): `scale` where
// the word is below `threshold`, else 0, in block order (as philox_transpose_blocks).
__attribute__((target("avx512f"), always_inline)) static inline void philox_multiplier_vectors(__m512i x0, __m512i x1, __m512i x2,
                                                                                             __m512i x3, uint32_t threshold,
                                                                                             float scale, __m512 m[4]) {
    __m512i t = _mm512_set1_epi32((int)threshold);
    __m512 s = _mm512_set1_ps(scale);
    philox_transpose_blocks(_mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x0, t), s),
                            _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x1, t), s),
                            _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x2, t), s),
                            _mm512_maskz_mov_ps(_mm512_cmplt_epu32_mask(x3, t), s), m);
}

#endif
#endif
