// The backward phases' elementwise passes: the bias gradient and the masked ReLU's backward.
//
// In C for the AVX-512 path: the package builds its Swift for the baseline x86-64 (SSE2), where
// the bias gradient's loop over a row slice compiled to scalar additions with overflow checks
// (1.8 % of the W2 step on one worker in `perf`) and the masked ReLU ran four lanes wide. Here the
// bias gradient keeps 64 columns' sums in four registers over all rows. Each element sees the same
// additions in the same order on every path, so the bits do not depend on it.

#include "dense_passes.h"
#include "cpu_features.h"

#pragma STDC FP_CONTRACT OFF

void thinned_bias_gradient_portable(const float *dy, long rows, long stride, int count, float alpha, float *db) {
    for (int o = 0; o < count; o++) db[o] = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float *row = dy + r * stride;
        for (int o = 0; o < count; o++) db[o] += row[o];
    }
    for (int o = 0; o < count; o++) db[o] *= alpha;
}

void thinned_masked_relu_backward_portable(float *d, const float *x, int count, float scale) {
    for (int e = 0; e < count; e++) d[e] = x[e] > 0.0f ? d[e] * scale : 0.0f;
}

#if defined(__x86_64__)
#include <immintrin.h>

// The columns o0 … o0 + 16 · vectors − 1 (`vectors` ≤ 4, a constant once inlined; the last one's
// `last` lanes only): their sums in registers over all rows.
__attribute__((target("avx512f"), always_inline)) static inline void bias_columns(const float *dy, long rows, long stride,
                                                                                 int vectors, __mmask16 last,
                                                                                 float alpha, float *db) {
    __m512 sum[4];
    for (int v = 0; v < vectors; v++) sum[v] = _mm512_setzero_ps();
    for (long r = 0; r < rows; r++) {
        const float *row = dy + r * stride;
        for (int v = 0; v < vectors; v++) {
            __mmask16 lanes = v == vectors - 1 ? last : (__mmask16)0xFFFF;
            sum[v] = _mm512_add_ps(sum[v], _mm512_maskz_loadu_ps(lanes, row + 16 * v));
        }
    }
    __m512 a = _mm512_set1_ps(alpha);
    for (int v = 0; v < vectors; v++) {
        __mmask16 lanes = v == vectors - 1 ? last : (__mmask16)0xFFFF;
        _mm512_mask_storeu_ps(db + 16 * v, lanes, _mm512_mul_ps(sum[v], a));
    }
}

__attribute__((target("avx512f"))) static void bias_gradient_wide(const float *dy, long rows, long stride, int count,
                                                                  float alpha, float *db) {
    int o = 0;
    for (; count - o >= 64; o += 64) bias_columns(dy + o, rows, stride, 4, 0xFFFF, alpha, db + o);
    int left = count - o;
    if (left == 0) return;
    __mmask16 last = (left % 16) == 0 ? (__mmask16)0xFFFF : (__mmask16)((1u << (left % 16)) - 1u);
    // 1 to 4 vectors, the last with `last`'s lanes (each count a constant, for the registers).
    switch ((left + 15) / 16) {
    case 1: bias_columns(dy + o, rows, stride, 1, last, alpha, db + o); break;
    case 2: bias_columns(dy + o, rows, stride, 2, last, alpha, db + o); break;
    case 3: bias_columns(dy + o, rows, stride, 3, last, alpha, db + o); break;
    default: bias_columns(dy + o, rows, stride, 4, last, alpha, db + o); break;
    }
}

__attribute__((target("avx512f"))) static void masked_relu_backward_wide(float *d, const float *x, int count,
                                                                         float scale) {
    __m512 s = _mm512_set1_ps(scale), zero = _mm512_setzero_ps();
    for (int e = 0; e < count; e += 16) {
        int left = count - e;
        __mmask16 lanes = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        __mmask16 passes = _mm512_mask_cmp_ps_mask(lanes, _mm512_maskz_loadu_ps(lanes, x + e), zero, _CMP_GT_OQ);
        _mm512_mask_storeu_ps(d + e, lanes, _mm512_maskz_mul_ps(passes, _mm512_maskz_loadu_ps(lanes, d + e), s));
    }
}

void thinned_bias_gradient(const float *dy, long rows, long stride, int count, float alpha, float *db) {
    if (thinned_cpu_has_avx512f()) {
        bias_gradient_wide(dy, rows, stride, count, alpha, db);
    } else {
        thinned_bias_gradient_portable(dy, rows, stride, count, alpha, db);
    }
}

void thinned_masked_relu_backward(float *d, const float *x, int count, float scale) {
    if (thinned_cpu_has_avx512f()) {
        masked_relu_backward_wide(d, x, count, scale);
    } else {
        thinned_masked_relu_backward_portable(d, x, count, scale);
    }
}

#else

void thinned_bias_gradient(const float *dy, long rows, long stride, int count, float alpha, float *db) {
    thinned_bias_gradient_portable(dy, rows, stride, count, alpha, db);
}

void thinned_masked_relu_backward(float *d, const float *x, int count, float scale) {
    thinned_masked_relu_backward_portable(d, x, count, scale);
}

#endif
