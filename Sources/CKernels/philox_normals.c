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

// ln u₁ as k·ln 2 + ln c + ln(1 + r): the bits of v = u₁·2²⁴ (the integer as a float), less those
// of 0.69921875, give k + 24 (so that z = u₁·2⁻ᵏ ∈ [0.69921875, 1.3984375)) and one of 16 intervals of z, each with a float 1/c near
// the reciprocal of its middle and ln c = −ln(1/c) rounded to float; r = z·(1/c) − 1, one fused
// multiply-add, |r| < 0.03, and ln(1 + r) = r − r²/2 + r³/3 − r⁴/4 + r⁵/5 (the first term left
// out is below 2⁻³³). The interval holding 1 has c = 1, so that ln u₁ near 0 keeps its relative
// precision. (The reduction is glibc's logf's; the table and the polynomial are ours, in float.)
// Each entry is the float nearest to its formula (PhiloxNormalsTests recomputes them).
#define log_offset 0x3F330000u
const float thinned_noise_inverse_centres[16] = {
    0x1.661ec6p+0f, 0x1.571ed4p+0f, 0x1.49539ep+0f, 0x1.3c995ap+0f,
    0x1.30d19p+0f, 0x1.25e228p+0f, 0x1.1bb4a4p+0f, 0x1.12358ep+0f,
    0x1.0953f4p+0f, 0x1p+0f, 0x1.e573acp-1f, 0x1.ca4b3p-1f,
    0x1.b20364p-1f, 0x1.9c2d14p-1f, 0x1.886e6p-1f, 0x1.767dcep-1f};
const float thinned_noise_log_centres[16] = {
    -0x1.57bf74p-2f, -0x1.2bef08p-2f, -0x1.01eae4p-2f, -0x1.b31d84p-3f,
    -0x1.6574ecp-3f, -0x1.1aa2bep-3f, -0x1.a4e764p-4f, -0x1.1973b6p-4f,
    -0x1.252f4p-5f, 0x0p+0f, 0x1.b42de0p-5f, 0x1.c5e54cp-4f,
    0x1.526e5ep-3f, 0x1.bc286cp-3f, 0x1.1058bep-2f, 0x1.40430ap-2f};
#define ln2_high 0.693359375f
#define ln2_low -2.12194440e-4f
// cos 2πu₂ and sin 2πu₂ as the rotation of (cos α, sin α), α = 2πj/32 from a table, by
// θ = 2πu₂ − α ∈ [−π/32, π/32): sin θ = θ − θ³/6 + θ⁵/120 and cos θ − 1 = −θ²/2 + θ⁴/24 (the first
// terms left out are below 2⁻³⁵ and 2⁻²⁹).
const float thinned_noise_cosines[32] = {
    0x1p+0f, 0x1.f6297cp-1f, 0x1.d906bcp-1f, 0x1.a9b662p-1f,
    0x1.6a09e6p-1f, 0x1.1c73b4p-1f, 0x1.87de2ap-2f, 0x1.8f8b84p-3f,
    0x0p+0f, -0x1.8f8b84p-3f, -0x1.87de2ap-2f, -0x1.1c73b4p-1f,
    -0x1.6a09e6p-1f, -0x1.a9b662p-1f, -0x1.d906bcp-1f, -0x1.f6297cp-1f,
    -0x1p+0f, -0x1.f6297cp-1f, -0x1.d906bcp-1f, -0x1.a9b662p-1f,
    -0x1.6a09e6p-1f, -0x1.1c73b4p-1f, -0x1.87de2ap-2f, -0x1.8f8b84p-3f,
    0x0p+0f, 0x1.8f8b84p-3f, 0x1.87de2ap-2f, 0x1.1c73b4p-1f,
    0x1.6a09e6p-1f, 0x1.a9b662p-1f, 0x1.d906bcp-1f, 0x1.f6297cp-1f};
const float thinned_noise_sines[32] = {
    0x0p+0f, 0x1.8f8b84p-3f, 0x1.87de2ap-2f, 0x1.1c73b4p-1f,
    0x1.6a09e6p-1f, 0x1.a9b662p-1f, 0x1.d906bcp-1f, 0x1.f6297cp-1f,
    0x1p+0f, 0x1.f6297cp-1f, 0x1.d906bcp-1f, 0x1.a9b662p-1f,
    0x1.6a09e6p-1f, 0x1.1c73b4p-1f, 0x1.87de2ap-2f, 0x1.8f8b84p-3f,
    0x0p+0f, -0x1.8f8b84p-3f, -0x1.87de2ap-2f, -0x1.1c73b4p-1f,
    -0x1.6a09e6p-1f, -0x1.a9b662p-1f, -0x1.d906bcp-1f, -0x1.f6297cp-1f,
    -0x1p+0f, -0x1.f6297cp-1f, -0x1.d906bcp-1f, -0x1.a9b662p-1f,
    -0x1.6a09e6p-1f, -0x1.1c73b4p-1f, -0x1.87de2ap-2f, -0x1.8f8b84p-3f};
#define two_pi_ulp 0x1.921fb6p-22f   // 2π·2⁻²⁴

// One pair of normals from the words (a, b): *zc = r·cos 2πu₂, *zs = r·sin 2πu₂.
static inline void box_muller(uint32_t a, uint32_t b, float *zc, float *zs) {
    // u₁ = v·2⁻²⁴ with v = (a >> 8) + 1 ∈ [1, 2²⁴], exact as a float.
    float fv = (float)((a >> 8) + 1u);
    uint32_t bits;
    memcpy(&bits, &fv, sizeof bits);
    uint32_t t = bits - log_offset;
    uint32_t interval = (t >> 19) & 15u, zbits = bits - (t & 0xFF800000u);
    float z, k = (float)(((int32_t)t >> 23) - 24);
    memcpy(&z, &zbits, sizeof z);
    float r = fmaf(z, thinned_noise_inverse_centres[interval], -1.0f), r2 = r * r;
    float p = fmaf(r, 0.2f, -0.25f);
    p = fmaf(p, r, 1.0f / 3.0f);
    p = fmaf(p, r, -0.5f);
    float y = fmaf(p, r2, r);
    float ln = fmaf(k, ln2_high, thinned_noise_log_centres[interval]) + fmaf(k, ln2_low, y);
    float radius = sqrtf(-2.0f * ln);
    // 2πu₂ = 2π(w + 2¹⁸ − 2¹⁸)·2⁻²⁴, w = b >> 8: j = the top five bits of w + 2¹⁸, the rest less
    // 2¹⁸ the offset from α, exact in integers.
    uint32_t shifted = (b >> 8) + (1u << 18);
    uint32_t j = (shifted >> 19) & 31u;
    float theta = (float)((int32_t)(shifted & 0x7FFFFu) - (1 << 18)) * two_pi_ulp, theta2 = theta * theta;
    float sp = fmaf(theta2, 1.0f / 120.0f, -1.0f / 6.0f);
    float sine = fmaf(theta * theta2, sp, theta);
    float cosineLessOne = theta2 * fmaf(theta2, 1.0f / 24.0f, -0.5f);
    float ca = thinned_noise_cosines[j], sa = thinned_noise_sines[j];
    float c = fmaf(-sa, sine, fmaf(ca, cosineLessOne, ca));
    float s = fmaf(ca, sine, fmaf(sa, cosineLessOne, sa));
    *zc = radius * c;
    *zs = radius * s;
}

void thinned_box_muller_portable(const uint32_t *a, const uint32_t *b, long n, float *zc, float *zs) {
    for (long i = 0; i < n; i++) box_muller(a[i], b[i], &zc[i], &zs[i]);
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

// box_muller on sixteen pairs: the same operations, lane for lane (the tables by permutes).
__attribute__((target("avx512f"), always_inline)) static inline void box_muller_wide(__m512i a, __m512i b, __m512 *zc,
                                                                                     __m512 *zs) {
    __m512 fv = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_srli_epi32(a, 8), _mm512_set1_epi32(1)));
    __m512i bits = _mm512_castps_si512(fv);
    __m512i t = _mm512_sub_epi32(bits, _mm512_set1_epi32((int)log_offset));
    __m512i interval = _mm512_srli_epi32(t, 19);   // vpermps reads its low four bits
    __m512 z = _mm512_castsi512_ps(_mm512_sub_epi32(bits, _mm512_and_si512(t, _mm512_set1_epi32((int)0xFF800000u))));
    __m512 k = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srai_epi32(t, 23), _mm512_set1_epi32(24)));
    __m512 inverse = _mm512_permutexvar_ps(interval, _mm512_loadu_ps(thinned_noise_inverse_centres));
    __m512 logCentre = _mm512_permutexvar_ps(interval, _mm512_loadu_ps(thinned_noise_log_centres));
    __m512 r = _mm512_fmadd_ps(z, inverse, _mm512_set1_ps(-1.0f)), r2 = _mm512_mul_ps(r, r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(0.2f), _mm512_set1_ps(-0.25f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 3.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(-0.5f));
    __m512 y = _mm512_fmadd_ps(p, r2, r);
    __m512 ln = _mm512_add_ps(_mm512_fmadd_ps(k, _mm512_set1_ps(ln2_high), logCentre),
                              _mm512_fmadd_ps(k, _mm512_set1_ps(ln2_low), y));
    __m512 radius = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), ln));
    __m512i shifted = _mm512_add_epi32(_mm512_srli_epi32(b, 8), _mm512_set1_epi32(1 << 18));
    __m512i j = _mm512_srli_epi32(shifted, 19);   // vpermt2ps reads its low five bits
    __m512i offset = _mm512_sub_epi32(_mm512_and_si512(shifted, _mm512_set1_epi32(0x7FFFF)), _mm512_set1_epi32(1 << 18));
    __m512 theta = _mm512_mul_ps(_mm512_cvtepi32_ps(offset), _mm512_set1_ps(two_pi_ulp));
    __m512 theta2 = _mm512_mul_ps(theta, theta);
    __m512 sp = _mm512_fmadd_ps(theta2, _mm512_set1_ps(1.0f / 120.0f), _mm512_set1_ps(-1.0f / 6.0f));
    __m512 sine = _mm512_fmadd_ps(_mm512_mul_ps(theta, theta2), sp, theta);
    __m512 cosineLessOne = _mm512_mul_ps(theta2, _mm512_fmadd_ps(theta2, _mm512_set1_ps(1.0f / 24.0f), _mm512_set1_ps(-0.5f)));
    __m512 ca = _mm512_permutex2var_ps(_mm512_loadu_ps(thinned_noise_cosines), j, _mm512_loadu_ps(thinned_noise_cosines + 16));
    __m512 sa = _mm512_permutex2var_ps(_mm512_loadu_ps(thinned_noise_sines), j, _mm512_loadu_ps(thinned_noise_sines + 16));
    __m512 c = _mm512_fnmadd_ps(sa, sine, _mm512_fmadd_ps(ca, cosineLessOne, ca));
    __m512 s = _mm512_fmadd_ps(ca, sine, _mm512_fmadd_ps(sa, cosineLessOne, sa));
    *zc = _mm512_mul_ps(radius, c);
    *zs = _mm512_mul_ps(radius, s);
}

// `groups` windows of 64 normals (≤ 2, a constant once inlined), their Philox rounds in flight
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
    // Two windows in flight: their Philox rounds fill the registers (philox_rounds_wide).
    long base[2];
    uint32_t word3s[2];
    float *o[2];
    int waiting = 0;
    for (int row = 0; row < rows; row++) {
        for (long b = first & ~63L; b < first + count; b += 64) {
            base[waiting] = b;
            word3s[waiting] = word3 + (uint32_t)row;
            o[waiting] = out + (long)row * stride;
            if (++waiting == 2) {
                add_windows(key0, key1, word1, word2, base, word3s, o, first, first + count, 2, scales);
                waiting = 0;
            }
        }
    }
    for (int g = 0; g < waiting; g++) {
        add_windows(key0, key1, word1, word2, base + g, word3s + g, o + g, first, first + count, 1, scales);
    }
}

__attribute__((target("avx512f"))) static void box_muller_words_wide(const uint32_t *a, const uint32_t *b, long n,
                                                                    float *zc, float *zs) {
    for (long i = 0; i < n; i += 16) {
        __mmask16 lanes = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        __m512 c, s;
        box_muller_wide(_mm512_maskz_loadu_epi32(lanes, a + i), _mm512_maskz_loadu_epi32(lanes, b + i), &c, &s);
        _mm512_mask_storeu_ps(zc + i, lanes, c);
        _mm512_mask_storeu_ps(zs + i, lanes, s);
    }
}

int thinned_box_muller_avx512(const uint32_t *a, const uint32_t *b, long n, float *zc, float *zs) {
    if (!thinned_cpu_has_avx512f()) return 0;
    box_muller_words_wide(a, b, n, zc, zs);
    return 1;
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

int thinned_box_muller_avx512(const uint32_t *a, const uint32_t *b, long n, float *zc, float *zs) { return 0; }

int thinned_philox_normals_add_avx512(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2,
                                      uint32_t word3, int rows, int count, long stride, float scale, float *out) {
    return 0;
}

void thinned_philox_normals_add(uint32_t key0, uint32_t key1, long first, uint32_t word1, uint32_t word2, uint32_t word3,
                                int rows, int count, long stride, float scale, float *out) {
    thinned_philox_normals_add_portable(key0, key1, first, word1, word2, word3, rows, count, stride, scale, out);
}

#endif
