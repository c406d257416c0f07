#ifndef THINNED_EXACT_SUM_H
#define THINNED_EXACT_SUM_H

#include <stdint.h>

/// `--reduce exact`'s fixed-point conversions (ExactReduction.swift says why they are exact).

/// For r < rows and c < columns: v = round(x[r·xStride + c] · 2^k), computed in double (the
/// product is exact) and rounded to the nearest integer, ties to even; sums[r·sumStride + c] = v
/// when `store` is nonzero, else += v. Returns 0 when every value was converted; else bit 0 is
/// set when some x · 2^k is not finite and bit 1 when some finite |x · 2^k| exceeds `limit`
/// (such elements are summed as 0: the caller must not use the sums). The
/// AVX-512 path (with the DQ conversions) and the portable path give the same integers.
int thinned_exact_accumulate(const float *x, long rows, long columns, long xStride, int64_t *sums, long sumStride,
                             int k, double limit, int store);

/// out[j] = F(sums[j]) · 2^−k for j < count, where F rounds to the nearest Float (ties to even);
/// the product is exact unless it lies below the smallest normal Float (then it is rounded once
/// more, or flushed to zero where the thread flushes denormals). Same bits on either path.
void thinned_exact_values(const int64_t *sums, long count, int k, float *out);

/// The largest |x[j]| for j < count (0 for none; a NaN among them may be missed).
float thinned_largest_magnitude(const float *x, long count);

/// The same, always by the portable paths (for tests that compare the two paths).
int thinned_exact_accumulate_portable(const float *x, long rows, long columns, long xStride, int64_t *sums,
                                      long sumStride, int k, double limit, int store);
void thinned_exact_values_portable(const int64_t *sums, long count, int k, float *out);

#endif
