// `--reduce exact`: Floats to fixed-point integers and back, for every gradient element of a step.
//
// In C for the AVX-512 DQ conversions between doubles and 64-bit integers (one instruction for
// eight lanes; Swift converts one element at a time). Both paths do the same exact operations and
// round to nearest, ties to even, once, so they give the same bits.

#include "exact_sum.h"
#include "cpu_features.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF

int thinned_exact_accumulate_portable(const float *x, long rows, long columns, long xStride, int64_t *sums,
                                      long sumStride, int k, double limit, int store) {
    const double factor = ldexp(1.0, k);
    int bad = 0;
    for (long r = 0; r < rows; r++) {
        const float *in = x + r * xStride;
        int64_t *out = sums + r * sumStride;
        for (long c = 0; c < columns; c++) {
            double v = (double)in[c] * factor;
            if (!isfinite(v)) { bad |= 1; v = 0; }
            else if (fabs(v) > limit) { bad |= 2; v = 0; }
            int64_t integer = (int64_t)nearbyint(v);
            out[c] = store ? integer : out[c] + integer;
        }
    }
    return bad;
}

void thinned_exact_values_portable(const int64_t *sums, long count, int k, float *out) {
    const double factor = ldexp(1.0, -k);
    for (long j = 0; j < count; j++) out[j] = (float)((double)(float)sums[j] * factor);
}

static float largest_magnitude_portable(const float *x, long count) {
    float m = 0;
    for (long j = 0; j < count; j++) {
        const float a = fabsf(x[j]);
        m = a > m ? a : m;
    }
    return m;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static float largest_magnitude_wide(const float *x, long count) {
    __m512 m = _mm512_setzero_ps();
    long j = 0;
    for (; j + 16 <= count; j += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
    if (j < count) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_maskz_loadu_ps((__mmask16)((1u << (count - j)) - 1u), x + j)));
    return _mm512_reduce_max_ps(m);
}

float thinned_largest_magnitude(const float *x, long count) {
    return thinned_cpu_has_avx512f() ? largest_magnitude_wide(x, count) : largest_magnitude_portable(x, count);
}

#define WIDE __attribute__((target("avx512f,avx512dq")))

WIDE static int exact_accumulate_wide(const float *x, long rows, long columns, long xStride, int64_t *sums, long sumStride,
                                      int k, double limit, int store) {
    const __m512d factor = _mm512_set1_pd(ldexp(1.0, k)), bound = _mm512_set1_pd(limit);
    const __m512d magnitude = _mm512_castsi512_pd(_mm512_set1_epi64(0x7FFFFFFFFFFFFFFFLL));
    __mmask8 infinite = 0, beyond = 0;
    for (long r = 0; r < rows; r++) {
        const float *in = x + r * xStride;
        int64_t *out = sums + r * sumStride;
        for (long c = 0; c < columns; c += 8) {
            const __mmask8 lanes = columns - c >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (columns - c)) - 1u);
            __m512d v = _mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)lanes, in + c))), factor);
            const __m512d size = _mm512_and_pd(v, magnitude);
            // Not finite: NaN (unordered) or infinite; beyond: finite and above the limit.
            const __mmask8 not_finite = _mm512_mask_cmp_pd_mask(lanes, size, _mm512_set1_pd(INFINITY), _CMP_NLT_UQ);
            const __mmask8 above = _mm512_mask_cmp_pd_mask(lanes & ~not_finite, size, bound, _CMP_GT_OQ);
            infinite |= not_finite;
            beyond |= above;
            v = _mm512_mask_mov_pd(v, not_finite | above, _mm512_setzero_pd());
            __m512i integer = _mm512_cvt_roundpd_epi64(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if (!store) integer = _mm512_add_epi64(integer, _mm512_maskz_loadu_epi64(lanes, out + c));
            _mm512_mask_storeu_epi64(out + c, lanes, integer);
        }
    }
    return (infinite != 0 ? 1 : 0) | (beyond != 0 ? 2 : 0);
}

WIDE static void exact_values_wide(const int64_t *sums, long count, int k, float *out) {
    const __m512d factor = _mm512_set1_pd(ldexp(1.0, -k));
    for (long j = 0; j < count; j += 8) {
        const __mmask8 lanes = count - j >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (count - j)) - 1u);
        const __m256 rounded = _mm512_cvt_roundepi64_ps(_mm512_maskz_loadu_epi64(lanes, sums + j),
                                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m256 value = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(rounded), factor));
        _mm512_mask_storeu_ps(out + j, (__mmask16)lanes, _mm512_castps256_ps512(value));
    }
}

int thinned_exact_accumulate(const float *x, long rows, long columns, long xStride, int64_t *sums, long sumStride,
                             int k, double limit, int store) {
    return thinned_cpu_has_avx512dq()
        ? exact_accumulate_wide(x, rows, columns, xStride, sums, sumStride, k, limit, store)
        : thinned_exact_accumulate_portable(x, rows, columns, xStride, sums, sumStride, k, limit, store);
}

void thinned_exact_values(const int64_t *sums, long count, int k, float *out) {
    if (thinned_cpu_has_avx512dq()) exact_values_wide(sums, count, k, out);
    else thinned_exact_values_portable(sums, count, k, out);
}

#else

float thinned_largest_magnitude(const float *x, long count) { return largest_magnitude_portable(x, count); }

int thinned_exact_accumulate(const float *x, long rows, long columns, long xStride, int64_t *sums, long sumStride,
                             int k, double limit, int store) {
    return thinned_exact_accumulate_portable(x, rows, columns, xStride, sums, sumStride, k, limit, store);
}

void thinned_exact_values(const int64_t *sums, long count, int k, float *out) {
    thinned_exact_values_portable(sums, count, k, out);
}

#endif
