// The optimizers' elementwise updates (SGD, momentum, Adam), sixteen parameters per AVX-512
// vector where the CPU has it.
//
// Written in C with a run-time choice, not in Swift: the project builds for baseline x86-64
// (SSE2), where Swift's SIMD8 loops run four lanes at a time. For Adam (a square root and a
// division per parameter) the update of the reference model then cost about as much time in
// arithmetic as in memory traffic, and two workers sharing a core's divider did not go faster
// than one (2.14 against 2.38 ms a step on the development VM). SGD and momentum are applied to
// each weight-gradient tile while it is in cache (FusedStep), where the four-lane loop was 0.8 %
// of the one-worker step at batch 1000 (perf, issue 11). Every operation is one IEEE-754
// operation in a fixed order and contraction into fused multiply-adds is off, so the AVX-512 and
// the portable paths give the same bits.
#include "optimizer_updates.h"
#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

void thinned_sgd_update_portable(long count, float *theta, const float *gradient, float rate) {
    for (long j = 0; j < count; j++) theta[j] = theta[j] - rate * gradient[j];
}

void thinned_momentum_update_portable(long count, float *theta, const float *gradient, float *velocity, float mu,
                                      float rate) {
    for (long j = 0; j < count; j++) {
        float vj = mu * velocity[j] + gradient[j];
        velocity[j] = vj;
        theta[j] = theta[j] - rate * vj;
    }
}

void thinned_adam_update_portable(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                                  float c1, float b2, float c2, float size, float root, float eps) {
    for (long j = 0; j < count; j++) {
        float g = gradient[j];
        float mj = b1 * m[j] + c1 * g;
        float vj = b2 * v[j] + c2 * g * g;
        m[j] = mj;
        v[j] = vj;
        theta[j] = theta[j] - size * mj / (sqrtf(vj) * root + eps);
    }
}

#if defined(__x86_64__)

__attribute__((target("avx512f"))) static long sgd_wide(long count, float *theta, const float *gradient, float rate) {
    const __m512 RATE = _mm512_set1_ps(rate);
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 step = _mm512_mul_ps(RATE, _mm512_loadu_ps(gradient + j));
        _mm512_storeu_ps(theta + j, _mm512_sub_ps(_mm512_loadu_ps(theta + j), step));
    }
    return j;
}

__attribute__((target("avx512f"))) static long momentum_wide(long count, float *theta, const float *gradient,
                                                             float *velocity, float mu, float rate) {
    const __m512 MU = _mm512_set1_ps(mu), RATE = _mm512_set1_ps(rate);
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 vj = _mm512_add_ps(_mm512_mul_ps(MU, _mm512_loadu_ps(velocity + j)), _mm512_loadu_ps(gradient + j));
        _mm512_storeu_ps(velocity + j, vj);
        _mm512_storeu_ps(theta + j, _mm512_sub_ps(_mm512_loadu_ps(theta + j), _mm512_mul_ps(RATE, vj)));
    }
    return j;
}

int thinned_sgd_update_avx512(long count, float *theta, const float *gradient, float rate) {
    if (!thinned_cpu_has_avx512f()) return 0;
    // The portable path only for a remainder: no pointer arithmetic on the NULL of an empty range.
    long done = sgd_wide(count, theta, gradient, rate);
    if (done < count) thinned_sgd_update_portable(count - done, theta + done, gradient + done, rate);
    return 1;
}

void thinned_sgd_update(long count, float *theta, const float *gradient, float rate) {
    if (!thinned_sgd_update_avx512(count, theta, gradient, rate))
        thinned_sgd_update_portable(count, theta, gradient, rate);
}

int thinned_momentum_update_avx512(long count, float *theta, const float *gradient, float *velocity, float mu,
                                   float rate) {
    if (!thinned_cpu_has_avx512f()) return 0;
    long done = momentum_wide(count, theta, gradient, velocity, mu, rate);
    if (done < count)
        thinned_momentum_update_portable(count - done, theta + done, gradient + done, velocity + done, mu, rate);
    return 1;
}

void thinned_momentum_update(long count, float *theta, const float *gradient, float *velocity, float mu, float rate) {
    if (!thinned_momentum_update_avx512(count, theta, gradient, velocity, mu, rate))
        thinned_momentum_update_portable(count, theta, gradient, velocity, mu, rate);
}

__attribute__((target("avx512f"))) static long adam_wide(long count, float *theta, const float *gradient, float *m,
                                                         float *v, float b1, float c1, float b2, float c2, float size,
                                                         float root, float eps) {
    const __m512 B1 = _mm512_set1_ps(b1), C1 = _mm512_set1_ps(c1), B2 = _mm512_set1_ps(b2), C2 = _mm512_set1_ps(c2);
    const __m512 SIZE = _mm512_set1_ps(size), ROOT = _mm512_set1_ps(root), EPS = _mm512_set1_ps(eps);
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 g = _mm512_loadu_ps(gradient + j);
        __m512 mj = _mm512_add_ps(_mm512_mul_ps(B1, _mm512_loadu_ps(m + j)), _mm512_mul_ps(C1, g));
        __m512 vj = _mm512_add_ps(_mm512_mul_ps(B2, _mm512_loadu_ps(v + j)), _mm512_mul_ps(_mm512_mul_ps(C2, g), g));
        _mm512_storeu_ps(m + j, mj);
        _mm512_storeu_ps(v + j, vj);
        __m512 denominator = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vj), ROOT), EPS);
        __m512 step = _mm512_div_ps(_mm512_mul_ps(SIZE, mj), denominator);
        _mm512_storeu_ps(theta + j, _mm512_sub_ps(_mm512_loadu_ps(theta + j), step));
    }
    return j;
}

int thinned_adam_update_avx512(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                               float c1, float b2, float c2, float size, float root, float eps) {
    if (!thinned_cpu_has_avx512f()) return 0;
    long done = adam_wide(count, theta, gradient, m, v, b1, c1, b2, c2, size, root, eps);
    if (done < count)
        thinned_adam_update_portable(count - done, theta + done, gradient + done, m + done, v + done, b1, c1, b2, c2,
                                     size, root, eps);
    return 1;
}

void thinned_adam_update(long count, float *theta, const float *gradient, float *m, float *v, float b1, float c1,
                         float b2, float c2, float size, float root, float eps) {
    if (!thinned_adam_update_avx512(count, theta, gradient, m, v, b1, c1, b2, c2, size, root, eps))
        thinned_adam_update_portable(count, theta, gradient, m, v, b1, c1, b2, c2, size, root, eps);
}

#else

int thinned_sgd_update_avx512(long count, float *theta, const float *gradient, float rate) { return 0; }

void thinned_sgd_update(long count, float *theta, const float *gradient, float rate) {
    thinned_sgd_update_portable(count, theta, gradient, rate);
}

int thinned_momentum_update_avx512(long count, float *theta, const float *gradient, float *velocity, float mu,
                                   float rate) {
    return 0;
}

void thinned_momentum_update(long count, float *theta, const float *gradient, float *velocity, float mu, float rate) {
    thinned_momentum_update_portable(count, theta, gradient, velocity, mu, rate);
}

int thinned_adam_update_avx512(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                               float c1, float b2, float c2, float size, float root, float eps) {
    return 0;
}

void thinned_adam_update(long count, float *theta, const float *gradient, float *m, float *v, float b1, float c1,
                         float b2, float c2, float size, float root, float eps) {
    thinned_adam_update_portable(count, theta, gradient, m, v, b1, c1, b2, c2, size, root, eps);
}

#endif
