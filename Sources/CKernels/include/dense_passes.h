#ifndef THINNED_DENSE_PASSES_H
#define THINNED_DENSE_PASSES_H

/// The elementwise passes of the backward phases, each with the same single-precision operations
/// in the same order on every path, so the bits do not depend on it.

/// The bias gradient: db[o] = alpha · (((0 + dy[o]) + dy[stride + o]) + … + dy[(rows − 1) · stride + o])
/// for o in 0 ..< count — each sum over the rows in order, from 0, then one multiplication.
void thinned_bias_gradient(const float *dy, long rows, long stride, int count, float alpha, float *db);

/// Backward through the mask and the ReLU that produced x = r(s) · m:
/// d[e] = x[e] > 0 ? d[e] · scale : 0 for e in 0 ..< count.
void thinned_masked_relu_backward(float *d, const float *x, int count, float scale);

/// The same two, always by the portable path (for tests that compare the paths).
void thinned_bias_gradient_portable(const float *dy, long rows, long stride, int count, float alpha, float *db);
void thinned_masked_relu_backward_portable(float *d, const float *x, int count, float scale);

#endif
