// Squared norms for per-sample clipping: every sample's deltas and inputs, each step.
//
// In C for the AVX-512 path (Swift's SIMD types do not widen Float lanes to Double in one
// instruction); eight double lanes either way, with the same operations in the same order.

#include "squared_norm.h"
#include "cpu_features.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

static double reduce(const double s[8]) { return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])); }

double thinned_squared_norm_portable(const float *x, long count) {
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (long j = 0; j < count; j++) s[j % 8] = fma((double)x[j], (double)x[j], s[j % 8]);
    return reduce(s);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static double squared_norm_wide(const float *x, long count) {
    __m512d s = _mm512_setzero_pd();
    long j = 0;
    for (; j + 8 <= count; j += 8) {
        __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(x + j));
        s = _mm512_fmadd_pd(v, v, s);
    }
    if (j < count) {
        __mmask8 lanes = (__mmask8)((1u << (count - j)) - 1u);
        __m512d v = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)lanes, x + j)));
        s = _mm512_mask3_fmadd_pd(v, v, s, lanes);
    }
    double lanes[8];
    _mm512_storeu_pd(lanes, s);
    return reduce(lanes);
}

double thinned_squared_norm(const float *x, long count) {
    return thinned_cpu_has_avx512f() ? squared_norm_wide(x, count) : thinned_squared_norm_portable(x, count);
}

#else

double thinned_squared_norm(const float *x, long count) { return thinned_squared_norm_portable(x, count); }

#endif
