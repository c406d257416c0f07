// Gaussian noise for DP-SGD: Philox4x32-10 words through the Box–Muller transform.
//
// Written in C for the same reason as the dropout multipliers (philox_masks.c): the 32×32→64-bit
// products. The transform is written twice, once per lane in portable C and once sixteen lanes at
// a time in AVX-512, with the same IEEE operations in the same order (fmaf where the vector code
// has vfmadd), so the two give the same bits (PhiloxNormalsTests compares them). Our own
// polynomials rather than libm's logf, sinf and cosf: those differ between C libraries and have no
// vector form with a bit-exact scalar twin.

#include "philox_normals.h"
#include "cpu_features.h"
#include "philox_wide.h"
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// ln m for m ∈ [√½, √2), f = m − 1: f − f²/2 + f³·P(f), P of degree 8, and ln 2 split in two so
// that e·ln 2 adds exactly (Moshier's Cephes logf: its coefficients, ~1 ulp over the range).
#define log_p0 7.0376836292e-2f
#define log_p1 -1.1514610310e-1f
#define log_p2 1.1676998740e-1f
#define log_p3 -1.2420140846e-1f
#define log_p4 1.4249322787e-1f
#define log_p5 -1.6668057665e-1f
#define log_p6 2.0000714765e-1f
#define log_p7 -2.4999993993e-1f
#define log_p8 3.3333331174e-1f
#define ln2_high 0.693359375f
#define ln2_low -2.12194440e-4f
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
    int32_t exponent = (int32_t)(bits >> 23) - 127;
    uint32_t mantissa = (bits & 0x007FFFFFu) | 0x3F800000u;
    if (mantissa > 0x3FB504F3u) {
        mantissa -= 0x00800000u;
        exponent += 1;
    }
    float m, e = (float)exponent;
    memcpy(&m, &mantissa, sizeof m);
    float f = m - 1.0f, z = f * f;
    float y = log_p0;
    y = fmaf(y, f, log_p1);
    y = fmaf(y, f, log_p2);
    y = fmaf(y, f, log_p3);
    y = fmaf(y, f, log_p4);
    y = fmaf(y, f, log_p5);
    y = fmaf(y, f, log_p6);
    y = fmaf(y, f, log_p7);
    y = fmaf(y, f, log_p8);
    y = (y * f) * z;
    y = fmaf(e, ln2_low, y);
    y = fmaf(-0.5f, z, y);
    float ln = fmaf(e, ln2_high, f + y);
    float r = sqrtf(-2.0f * ln);
    // 2πu₂ = (k + t)·π/2 with k = ⌊4u₂ + ½⌋ and t = 4u₂ − k ∈ [−½, ½], both exact.
    float q = u2 * 4.0f;
    int32_t k = (int32_t)(q + 0.5f);
    float x = (q - (float)k) * half_pi;
    float x2 = x * x;
    float sp = fmaf(1.0f / 362880.0f, x2, -1.0f / 5040.0f);
    sp = fmaf(sp, x2, 1.0f / 120.0f);
    sp = fmaf(sp, x2, -1.0f / 6.0f);
    float sine = fmaf(x * x2, sp, x);
    float cp = fmaf(-1.0f / 3628800.0f, x2, 1.0f / 40320.0f);
    cp = fmaf(cp, x2, -1.0f / 720.0f);
    cp = fmaf(cp, x2, 1.0f / 24.0f);
    cp = fmaf(cp, x2, -0.5f);
    float cosine = fmaf(x2, cp, 1.0f);
    // Turn by k quarter turns: (cos, sin) → (−sin, cos) per quarter.
    float c = (k & 1) ? sine : cosine, s = (k & 1) ? cosine : sine;
    if ((k + 1) & 2) c = -c;
    if (k & 2) s = -s;
    *zc = r * c;
    *zs = r * s;
}

void thinned_philox_normals_add_portable(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                         uint32_t word3, int rows, int count, long stride, float scale, float *out) {
    for (int row = 0; row < rows; row++) {
        float *o = out + (long)row * stride;
        for (long base = first & ~63L; base < first + count; base += 64) {
            float z[64];
            for (int i = 0; i < 16; i++) {
                uint32_t c0 = (uint32_t)(base / 4) + (uint32_t)i, c1 = word1, c2 = word2, c3 = word3 + (uint32_t)row;
                philox_block_portable(&c0, &c1, &c2, &c3, key0, key1);
                box_muller(c0, c1, &z[i], &z[16 + i]);
                box_muller(c2, c3, &z[32 + i], &z[48 + i]);
            }
            for (int t = 0; t < 64; t++) {
                long j = base + t - first;
                if (j >= 0 && j < count) o[j] = fmaf(scale, z[t], o[j]);
            }
        }
    }
}

#if defined(__x86_64__)

// box_muller on sixteen pairs: the same operations, lane for lane.
__attribute__((target("avx512f"), always_inline)) static inline void box_muller_wide(__m512i a, __m512i b, __m512 *zc,
                                                                                     __m512 *zs) {
    const __m512 unit = _mm512_set1_ps(0x1p-24f);
    __m512 u1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_srli_epi32(a, 8), _mm512_set1_epi32(1))), unit);
    __m512 u2 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(b, 8)), unit);
    __m512i bits = _mm512_castps_si512(u1);
    __m512i exponent = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127));
    __m512i mantissa = _mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007FFFFF)), _mm512_set1_epi32(0x3F800000));
    __mmask16 high = _mm512_cmpgt_epu32_mask(mantissa, _mm512_set1_epi32(0x3FB504F3));
    mantissa = _mm512_mask_sub_epi32(mantissa, high, mantissa, _mm512_set1_epi32(0x00800000));
    exponent = _mm512_mask_add_epi32(exponent, high, exponent, _mm512_set1_epi32(1));
    __m512 e = _mm512_cvtepi32_ps(exponent);
    __m512 f = _mm512_sub_ps(_mm512_castsi512_ps(mantissa), _mm512_set1_ps(1.0f));
    __m512 z = _mm512_mul_ps(f, f);
    __m512 y = _mm512_set1_ps(log_p0);
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p1));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p2));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p3));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p4));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p5));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p6));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p7));
    y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(log_p8));
    y = _mm512_mul_ps(_mm512_mul_ps(y, f), z);
    y = _mm512_fmadd_ps(e, _mm512_set1_ps(ln2_low), y);
    y = _mm512_fmadd_ps(_mm512_set1_ps(-0.5f), z, y);
    __m512 ln = _mm512_fmadd_ps(e, _mm512_set1_ps(ln2_high), _mm512_add_ps(f, y));
    __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), ln));
    __m512 q = _mm512_mul_ps(u2, _mm512_set1_ps(4.0f));
    __m512i k = _mm512_cvttps_epi32(_mm512_add_ps(q, _mm512_set1_ps(0.5f)));
    __m512 x = _mm512_mul_ps(_mm512_sub_ps(q, _mm512_cvtepi32_ps(k)), _mm512_set1_ps(half_pi));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 sp = _mm512_fmadd_ps(_mm512_set1_ps(1.0f / 362880.0f), x2, _mm512_set1_ps(-1.0f / 5040.0f));
    sp = _mm512_fmadd_ps(sp, x2, _mm512_set1_ps(1.0f / 120.0f));
    sp = _mm512_fmadd_ps(sp, x2, _mm512_set1_ps(-1.0f / 6.0f));
    __m512 sine = _mm512_fmadd_ps(_mm512_mul_ps(x, x2), sp, x);
    __m512 cp = _mm512_fmadd_ps(_mm512_set1_ps(-1.0f / 3628800.0f), x2, _mm512_set1_ps(1.0f / 40320.0f));
    cp = _mm512_fmadd_ps(cp, x2, _mm512_set1_ps(-1.0f / 720.0f));
    cp = _mm512_fmadd_ps(cp, x2, _mm512_set1_ps(1.0f / 24.0f));
    cp = _mm512_fmadd_ps(cp, x2, _mm512_set1_ps(-0.5f));
    __m512 cosine = _mm512_fmadd_ps(x2, cp, _mm512_set1_ps(1.0f));
    __mmask16 odd = _mm512_test_epi32_mask(k, _mm512_set1_epi32(1));
    __m512 c = _mm512_mask_blend_ps(odd, cosine, sine), s = _mm512_mask_blend_ps(odd, sine, cosine);
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __mmask16 negateC = _mm512_test_epi32_mask(_mm512_add_epi32(k, _mm512_set1_epi32(1)), _mm512_set1_epi32(2));
    __mmask16 negateS = _mm512_test_epi32_mask(k, _mm512_set1_epi32(2));
    c = _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(c), negateC, _mm512_castps_si512(c), sign));
    s = _mm512_castsi512_ps(_mm512_mask_xor_epi32(_mm512_castps_si512(s), negateS, _mm512_castps_si512(s), sign));
    *zc = _mm512_mul_ps(r, c);
    *zs = _mm512_mul_ps(r, s);
}

// `groups` windows of 64 normals (≤ 4, a constant once inlined), their Philox rounds in flight
// together: window g is normals base[g] … base[g] + 63 of the row whose word 3 is word3s[g], of
// which those in [first, end) are added into `o[g]` (at normal `first`).
__attribute__((target("avx512f"), always_inline)) static inline void
add_windows(uint32_t key0, uint32_t key1, uint32_t word1, uint32_t word2, const long *base, const uint32_t *word3s,
            float *const *o, long first, long end, int groups, __m512 scales) {
    uint32_t blocks[4];
    for (int g = 0; g < groups; g++) blocks[g] = (uint32_t)(base[g] / 4);
    __m512i x0[4], x1[4], x2[4], x3[4];
    philox_rounds_wide(key0, key1, blocks, word1, word2, word3s, groups, x0, x1, x2, x3);
    for (int g = 0; g < groups; g++) {
        __m512 n[4];
        box_muller_wide(x0[g], x1[g], &n[0], &n[1]);
        box_muller_wide(x2[g], x3[g], &n[2], &n[3]);
        for (int v = 0; v < 4; v++) {
            long from = base[g] + 16 * v;   // the normal in lane 0 of n[v]
            float *target = o[g] + (from - first);
            if (from >= first && from + 16 <= end) {
                _mm512_storeu_ps(target, _mm512_fmadd_ps(scales, n[v], _mm512_loadu_ps(target)));
            } else if (from < end && from + 16 > first) {
                long a = first > from ? first - from : 0, b = end - from < 16 ? end - from : 16;
                __mmask16 lanes = (__mmask16)(((1u << b) - 1u) & ~((1u << a) - 1u));
                __m512 old = _mm512_maskz_loadu_ps(lanes, target);
                _mm512_mask_storeu_ps(target, lanes, _mm512_fmadd_ps(scales, n[v], old));
            }
        }
    }
}

__attribute__((target("avx512f"))) static void normals_add_wide(uint32_t key0, uint32_t key1, long first, uint32_t word1,
                                                                uint32_t word2, uint32_t word3, int rows, int count,
                                                                long stride, float scale, float *out) {
    const __m512 scales = _mm512_set1_ps(scale);
    long base[4];
    uint32_t word3s[4];
    float *o[4];
    int waiting = 0;
    for (int row = 0; row < rows; row++) {
        for (long b = first & ~63L; b < first + count; b += 64) {
            base[waiting] = b;
            word3s[waiting] = word3 + (uint32_t)row;
            o[waiting] = out + (long)row * stride;
            if (++waiting == 4) {
                add_windows(key0, key1, word1, word2, base, word3s, o, first, first + count, 4, scales);
                waiting = 0;
            }
        }
    }
    for (int g = 0; g < waiting; g++) {
        add_windows(key0, key1, word1, word2, base + g, word3s + g, o + g, first, first + count, 1, scales);
    }
}

int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                      uint32_t word3, int rows, int count, long stride, float scale, float *out) {
    if (!thinned_cpu_has_avx512f()) return 0;
    normals_add_wide(key0, key1, first, word1, word2, word3, rows, count, stride, scale, out);
    return 1;
}

void thinned_philox_normals_add(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2, uint32_t word3,
                                int rows, int count, long stride, float scale, float *out) {
    if (thinned_cpu_has_avx512f()) {
        normals_add_wide(key0, key1, first, word1, word2, word3, rows, count, stride, scale, out);
    } else {
        thinned_philox_normals_add_portable(key0, key1, first, word1, word2, word3, rows, count, stride, scale, out);
    }
}

#else

int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                      uint32_t word3, int rows, int count, long stride, float scale, float *out) {
    return 0;
}

void thinned_philox_normals_add(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2, uint32_t word3,
                                int rows, int count, long stride, float scale, float *out) {
    thinned_philox_normals_add_portable(key0, key1, first, word1, word2, word3, rows, count, stride, scale, out);
}

#endif
