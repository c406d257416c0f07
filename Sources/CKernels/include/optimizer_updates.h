#ifndef THINNED_OPTIMIZER_UPDATES_H
#define THINNED_OPTIMIZER_UPDATES_H

// The optimizers' elementwise updates. Each kernel has three entries: the one to call (AVX-512
// sixteen parameters at a time where the CPU and the OS support it, else portable C one at a
// time), its AVX-512 path alone (the last count mod 16 by the portable one; it returns 0 and
// changes nothing on a machine without AVX-512) and its portable path alone, the last two for
// tests that compare the paths. Every operation is one IEEE-754 single-precision operation in
// the order written (no fused multiply-add), so every path gives the same bits.

/// SGD, in place, for j in 0 ..< count: θ[j] = θ[j] − rate·g[j].
void thinned_sgd_update(long count, float *theta, const float *gradient, float rate);
int thinned_sgd_update_avx512(long count, float *theta, const float *gradient, float rate);
void thinned_sgd_update_portable(long count, float *theta, const float *gradient, float rate);

/// Momentum, in place, for j in 0 ..< count: v[j] = mu·v[j] + g[j];  θ[j] = θ[j] − rate·v[j].
void thinned_momentum_update(long count, float *theta, const float *gradient, float *velocity, float mu, float rate);
int thinned_momentum_update_avx512(long count, float *theta, const float *gradient, float *velocity, float mu,
                                   float rate);
void thinned_momentum_update_portable(long count, float *theta, const float *gradient, float *velocity, float mu,
                                      float rate);

/// Adam, in place, for j in 0 ..< count, with g = gradient[j]:
///     m[j] = b1·m[j] + c1·g;  v[j] = b2·v[j] + (c2·g)·g;  θ[j] = θ[j] − (size·m[j]) / (√v[j]·root + eps).
void thinned_adam_update(long count, float *theta, const float *gradient, float *m, float *v, float b1, float c1,
                         float b2, float c2, float size, float root, float eps);
int thinned_adam_update_avx512(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                               float c1, float b2, float c2, float size, float root, float eps);
void thinned_adam_update_portable(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                                  float c1, float b2, float c2, float size, float root, float eps);

#endif
