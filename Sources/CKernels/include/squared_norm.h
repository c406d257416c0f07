#ifndef THINNED_SQUARED_NORM_H
#define THINNED_SQUARED_NORM_H

/// Σⱼ x[j]² for j in 0 ..< count, in double precision: element j goes to lane j mod 8 of eight
/// running sums (each product fused with its addition: fma), which are then added pairwise
/// ((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7)). The AVX-512 path and the portable one do exactly
/// these operations, so the result does not depend on the path.
double thinned_squared_norm(const float *x, long count);

/// The same, always by the portable path (for tests that compare the two paths).
double thinned_squared_norm_portable(const float *x, long count);

#endif
