// Times DP-SGD's noise kernel on the reference model's 1.2 M normals (gradient tiles of 64 rows
// × 128 columns, as the fused step draws them), and the Philox part alone (the dropout
// multipliers kernel over the same number of blocks): README "Clipping and DP-SGD". Best of 20.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cpu_features.h"
#include "philox_masks.h"
#include "philox_normals.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const int rows = 64, columns = 128, tiles = 1195018 / (rows * columns);
    const long normals = (long)tiles * rows * columns;
    float *out = calloc((size_t)rows * columns, sizeof(float));
    double noise = 1e9, philox = 1e9;
    for (int repeat = 0; repeat < 20; repeat++) {
        double start = now();
        for (int t = 0; t < tiles; t++) thinned_philox_normals_add(1, 2, 0, (uint32_t)t, 3, 4, rows, columns, columns, 0.01f, out);
        double seconds = now() - start;
        if (seconds < noise) noise = seconds;
        start = now();
        for (int t = 0; t < tiles; t++) thinned_philox_multipliers(1, 2, 0, (uint32_t)t, 3, 4, 0x80000000u, 2, rows * columns / 4, out);
        seconds = now() - start;
        if (seconds < philox) philox = seconds;
    }
    printf("AVX-512 path: %s\n", thinned_cpu_has_avx512f() ? "yes" : "no");
    printf("normals: %ld in %.3f ms = %.3f ns each\n", normals, noise * 1e3, noise * 1e9 / normals);
    printf("Philox words alone (the masks kernel, same blocks): %.3f ms = %.3f ns per normal\n", philox * 1e3, philox * 1e9 / normals);
    return out[0] > 1e30f;
}
