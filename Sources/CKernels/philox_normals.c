// Gaussian noise for DP-SGD: Philox4x32-10 words through the Box–Muller transform.
//
// Written in C for the same reason as the dropout multipliers (philox_masks.c): the 32×32→64-bit
// products. The transform is written twice, once per lane in portable C and once sixteen lanes at
// a time in AVX-512, with the same IEEE operations in the same order, so the two give the same
// bits (PhiloxNormalsTests compares them). Our own polynomials rather than libm's logf, sinf and
// cosf: those differ between C libraries and have no vector form with a bit-exact scalar twin.

#include "philox_normals.h"
#include "cpu_features.h"
#include "philox_wide.h"
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// ln 2, and the coefficients of ln m = 2s·(1 + s²/3 + s⁴/5 + … + s¹⁰/11), s = (m − 1)/(m + 1),
// for m ∈ [√½, √2): |s| ≤ 0.172, so the first term left out is below 2⁻³³.
#define ln2 0.693147180559945f
// sin x = x + x³·(−1/6 + x²/120 − x⁴/5040 + x⁶/362880) and cos x = 1 + x²·(−1/2 + x²/24 − x⁴/720
// + x⁶/40320 − x⁸/3628800) for |x| ≤ π/4: the first terms left out are below 2⁻²⁸.
#define half_pi 1.57079632679490f

// One pair of normals from the words (a, b): *zc = r·cos 2πu₂, *zs = r·sin 2πu₂.
static inline void box_muller(uint32_t a, uint32_t b, float *zc, float *zs) {
    float u1 = (float)((a >> 8) + 1u) * 0x1p-24f;
    float u2 = (float)(b >> 8) * 0x1p-24f;
    // ln u₁ = e·ln 2 + ln m, with u₁ = m·2ᵉ and m ∈ [√½, √2).
    uint32_t bits;
    memcpy(&bits, &u1, sizeof bits);
    int32_t e = (int32_t)(bits >> 23) - 127;
    uint32_t mantissa = (bits & 0x007FFFFFu) | 0x3F800000u;
    if (mantissa > 0x3FB504F3u) {
        mantissa -= 0x00800000u;
        e += 1;
    }
    float m;
    memcpy(&m, &mantissa, sizeof m);
    float f = m - 1.0f;
    float s = f / (f + 2.0f);
    float s2 = s * s;
    float p = 1.0f / 11.0f;
    p = p * s2 + 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    float ln = (float)e * ln2 + (s + s) * p;
    float r = sqrtf(-2.0f * ln);
    // 2πu₂ = (k + t)·π/2 with k = ⌊4u₂ + ½⌋ and t = 4u₂ − k ∈ [−½, ½], both exact.
    float q = u2 * 4.0f;
    int32_t k = (int32_t)(q + 0.5f);
    float x = (q - (float)k) * half_pi;
    float x2 = x * x;
    float sp = 1.0f / 362880.0f;
    sp = sp * x2 - 1.0f / 5040.0f;
    sp = sp * x2 + 1.0f / 120.0f;
    sp = sp * x2 - 1.0f / 6.0f;
    float sine = x + (x * x2) * sp;
    float cp = -1.0f / 3628800.0f;
    cp = cp * x2 + 1.0f / 40320.0f;
    cp = cp * x2 - 1.0f / 720.0f;
    cp = cp * x2 + 1.0f / 24.0f;
    cp = cp * x2 - 0.5f;
    float cosine = x2 * cp + 1.0f;
    // Turn by k quarter turns: (cos, sin) → (−sin, cos) per quarter.
    float c = (k & 1) ? sine : cosine, sn = (k & 1) ? cosine : sine;
    if ((k + 1) & 2) c = -c;
    if (k & 2) sn = -sn;
    *zc = r * c;
    *zs = r * sn;
}

void thinned_philox_normals_add_portable(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                         uint32_t word2, uint32_t word3, float scale, int count, float *out) {
    for (int i = 0; 4 * i < count; i++) {
        uint32_t c0 = first_block + (uint32_t)i, c1 = word1, c2 = word2, c3 = word3;
        philox_block_portable(&c0, &c1, &c2, &c3, key0, key1);
        float z[4];
        box_muller(c0, c1, &z[0], &z[1]);
        box_muller(c2, c3, &z[2], &z[3]);
        for (int w = 0; w < 4 && 4 * i + w < count; w++) out[4 * i + w] = out[4 * i + w] + scale * z[w];
    }
}

#if defined(__x86_64__)

// box_muller on sixteen pairs: the same operations, lane for lane.
__attribute__((target("avx512f"))) static inline void box_muller_wide(__m512i a, __m512i b, __m512 *zc, __m512 *zs) {
    const __m512 unit = _mm512_set1_ps(0x1p-24f);
    __m512 u1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_srli_epi32(a, 8), _mm512_set1_epi32(1))), unit);
    __m512 u2 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(b, 8)), unit);
    __m512i bits = _mm512_castps_si512(u1);
    __m512i e = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127));
    __m512i mantissa = _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007FFFFF)), _mm512_set1_epi32(0x3F800000));
    __mmask16 high = _mm512_cmpgt_epu32_mask(mantissa, _mm512_set1_epi32(0x3FB504F3));
    mantissa = _mm512_mask_sub_epi32(mantissa, high, mantissa, _mm512_set1_epi32(0x00800000));
    e = _mm512_mask_add_epi32(e, high, e, _mm512_set1_epi32(1));
    __m512 f = _mm512_sub_ps(_mm512_castsi512_ps(mantissa), _mm512_set1_ps(1.0f));
    __m512 s = _mm512_div_ps(f, _mm512_add_ps(f, _mm512_set1_ps(2.0f)));
    __m512 s2 = _mm512_mul_ps(s, s);
    __m512 p = _mm512_set1_ps(1.0f / 11.0f);
    p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f / 9.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f / 7.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f / 5.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f / 3.0f));
    p = _mm512_add_ps(_mm512_mul_ps(p, s2), _mm512_set1_ps(1.0f));
    __m512 ln = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(e), _mm512_set1_ps(ln2)),
                              _mm512_mul_ps(_mm512_add_ps(s, s), p));
    __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), ln));
    __m512 q = _mm512_mul_ps(u2, _mm512_set1_ps(4.0f));
    __m512i k = _mm512_cvttps_epi32(_mm512_add_ps(q, _mm512_set1_ps(0.5f)));
    __m512 x = _mm512_mul_ps(_mm512_sub_ps(q, _mm512_cvtepi32_ps(k)), _mm512_set1_ps(half_pi));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 sp = _mm512_set1_ps(1.0f / 362880.0f);
    sp = _mm512_sub_ps(_mm512_mul_ps(sp, x2), _mm512_set1_ps(1.0f / 5040.0f));
    sp = _mm512_add_ps(_mm512_mul_ps(sp, x2), _mm512_set1_ps(1.0f / 120.0f));
    sp = _mm512_sub_ps(_mm512_mul_ps(sp, x2), _mm512_set1_ps(1.0f / 6.0f));
    __m512 sine = _mm512_add_ps(x, _mm512_mul_ps(_mm512_mul_ps(x, x2), sp));
    __m512 cp = _mm512_set1_ps(-1.0f / 3628800.0f);
    cp = _mm512_add_ps(_mm512_mul_ps(cp, x2), _mm512_set1_ps(1.0f / 40320.0f));
    cp = _mm512_sub_ps(_mm512_mul_ps(cp, x2), _mm512_set1_ps(1.0f / 720.0f));
    cp = _mm512_add_ps(_mm512_mul_ps(cp, x2), _mm512_set1_ps(1.0f / 24.0f));
    cp = _mm512_sub_ps(_mm512_mul_ps(cp, x2), _mm512_set1_ps(0.5f));
    __m512 cosine = _mm512_add_ps(_mm512_mul_ps(x2, cp), _mm512_set1_ps(1.0f));
    __mmask16 odd = _mm512_test_epi32_mask(k, _mm512_set1_epi32(1));
    __m512 c = _mm512_mask_blend_ps(odd, cosine, sine), sn = _mm512_mask_blend_ps(odd, sine, cosine);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __mmask16 negateC = _mm512_test_epi32_mask(_mm512_add_epi32(k, _mm512_set1_epi32(1)), _mm512_set1_epi32(2));
    __mmask16 negateS = _mm512_test_epi32_mask(k, _mm512_set1_epi32(2));
    c = _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(c), negateC, _mm512_castps_si512(c), sign));
    sn = _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(sn), negateS, _mm512_castps_si512(sn), sign));
    *zc = _mm512_mul_ps(r, c);
    *zs = _mm512_mul_ps(r, sn);
}

// Every normal of the row, 64 at a time (16 blocks), the last 1–63 from one more group of which
// only those are added.
__attribute__((target("avx512f"))) static void normals_add_wide(uint32_t key0, uint32_t key1, uint32_t first_block,
                                                                uint32_t word1, uint32_t word2, uint32_t word3,
                                                                float scale, int count, float *out) {
    float z[64] __attribute__((aligned(64)));
    const __m512 scales = _mm512_set1_ps(scale);
    for (int done = 0; done < count; done += 64) {
        __m512i x0, x1, x2, x3;
        philox_rounds_wide(key0, key1, first_block + (uint32_t)(done / 4), word1, word2, word3, 1, &x0, &x1, &x2, &x3);
        __m512 n0, n1, n2, n3;
        box_muller_wide(x0, x1, &n0, &n1);
        box_muller_wide(x2, x3, &n2, &n3);
        philox_store_blocks(n0, n1, n2, n3, z);
        int left = count - done < 64 ? count - done : 64;
        for (int v = 0; v < 64 && v < left; v += 16) {
            __mmask16 lanes = left - v >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - v)) - 1u);
            __m512 o = _mm512_maskz_loadu_ps(lanes, out + done + v);
            o = _mm512_add_ps(o, _mm512_mul_ps(scales, _mm512_load_ps(z + v)));
            _mm512_mask_storeu_ps(out + done + v, lanes, o);
        }
    }
}

int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                      uint32_t word2, uint32_t word3, float scale, int count, float *out) {
    if (!thinned_cpu_has_avx512f()) return 0;
    normals_add_wide(key0, key1, first_block, word1, word2, word3, scale, count, out);
    return 1;
}

void thinned_philox_normals_add(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, float scale, int count, float *out) {
    if (thinned_cpu_has_avx512f()) {
        normals_add_wide(key0, key1, first_block, word1, word2, word3, scale, count, out);
    } else {
        thinned_philox_normals_add_portable(key0, key1, first_block, word1, word2, word3, scale, count, out);
    }
}

#else

int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1,
                                      uint32_t word2, uint32_t word3, float scale, int count, float *out) {
    return 0;
}

void thinned_philox_normals_add(uint32_t key0, uint32_t key1, uint32_t first_block, uint32_t word1, uint32_t word2,
                                uint32_t word3, float scale, int count, float *out) {
    thinned_philox_normals_add_portable(key0, key1, first_block, word1, word2, word3, scale, count, out);
}

#endif
