#ifndef THINNED_ADAM_UPDATE_H
#define THINNED_ADAM_UPDATE_H

/// Adam's update of `count` parameters, in place, for j in 0 ..< count:
///     m[j] = b1·m[j] + c1·g;  v[j] = b2·v[j] + (c2·g)·g;  θ[j] = θ[j] − (size·m[j]) / (√v[j]·root + eps)
/// with g = gradient[j], every operation one IEEE-754 single-precision operation in that order
/// (no fused multiply-add), so both paths give the same bits. Uses AVX-512 sixteen parameters at
/// a time where the CPU and the OS support it, else portable C one at a time.
void thinned_adam_update(long count, float *theta, const float *gradient, float *m, float *v, float b1, float c1,
                         float b2, float c2, float size, float root, float eps);

/// The AVX-512 path alone (the last count mod 16 by the portable one), for tests that compare the
/// paths: returns 0 and changes nothing on a machine without AVX-512.
int thinned_adam_update_avx512(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                               float c1, float b2, float c2, float size, float root, float eps);

/// The same, always by the portable path (for tests that compare the two paths).
void thinned_adam_update_portable(long count, float *theta, const float *gradient, float *m, float *v, float b1,
                                  float c1, float b2, float c2, float size, float root, float eps);

#endif
