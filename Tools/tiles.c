// Single-threaded cblas_sgemm on the fused step's tile shapes (see Tools/tiles): GFLOP/s, best of
// 25 rounds in which every shape runs once in turn (so a slow minute of a shared machine hits all
// shapes alike). Shapes are row-major, as the step calls them: forward y = x·Wᵀ (25 × units ×
// depth), deltas dx = dy·W, weight gradient dW = dyᵀ·x over `rows` samples (beta 1 when it adds a
// further chunk of samples to a tile).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    const char *name;
    int transposeA, transposeB, m, n, k, lda, ldb, ldc;
    float beta;
    double best;
} Shape;

static Shape shapes[] = {
    {"forward 25x32x784", 0, 1, 25, 32, 784, 784, 784, 512, 0},
    {"forward 25x48x784 (step)", 0, 1, 25, 48, 784, 784, 784, 512, 0},
    {"forward 25x64x784", 0, 1, 25, 64, 784, 784, 784, 512, 0},
    {"forward 13x48x784 (narrow step)", 0, 1, 13, 48, 784, 784, 784, 512, 0},
    {"forward 13x80x784", 0, 1, 13, 80, 784, 784, 784, 512, 0},
    {"forward 25x32x512", 0, 1, 25, 32, 512, 512, 512, 512, 0},
    {"forward 25x48x512 (step)", 0, 1, 25, 48, 512, 512, 512, 512, 0},
    {"forward 25x64x512", 0, 1, 25, 64, 512, 512, 512, 512, 0},
    {"forward 13x48x512 (narrow step)", 0, 1, 13, 48, 512, 512, 512, 512, 0},
    {"forward 100x512x784 (whole layer)", 0, 1, 100, 512, 784, 784, 784, 512, 0},
    {"forward 100x512x512 (whole layer)", 0, 1, 100, 512, 512, 512, 512, 512, 0},
    {"delta 25x64x512 (step)", 0, 0, 25, 64, 512, 512, 512, 512, 0},
    {"delta 25x96x512", 0, 0, 25, 96, 512, 512, 512, 512, 0},
    {"delta 13x64x512 (narrow step)", 0, 0, 13, 64, 512, 512, 512, 512, 0},
    {"delta 100x512x512 (whole layer)", 0, 0, 100, 512, 512, 512, 512, 512, 0},
    {"gradient 64x128 over 100 (step)", 1, 0, 64, 128, 100, 512, 784, 128, 0},
    {"gradient 64x128 over 100, beta 1 (step)", 1, 0, 64, 128, 100, 512, 784, 128, 1},
    {"gradient 64x128 over 1000", 1, 0, 64, 128, 1000, 512, 784, 128, 0},
    {"gradient 32x128 over 100 (narrow step)", 1, 0, 32, 128, 100, 512, 784, 128, 0},
    {"gradient 512x784 over 100 (whole layer)", 1, 0, 512, 784, 100, 512, 784, 784, 0},
};

int main(void) {
    int count = sizeof shapes / sizeof shapes[0];
    size_t floats = (size_t)4 << 20;
    float *a = aligned_alloc(64, floats * 4), *b = aligned_alloc(64, floats * 4), *c = aligned_alloc(64, floats * 4);
    for (size_t i = 0; i < floats; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; c[i] = 0; }
    for (int i = 0; i < count; i++) shapes[i].best = 1e9;
    for (int round = 0; round < 25; round++) {
        for (int i = 0; i < count; i++) {
            Shape *s = &shapes[i];
            int calls = (int)(2e7 / (2.0 * s->m * s->n * s->k)) + 1;
            double start = now();
            for (int j = 0; j < calls; j++) {
                cblas_sgemm(CblasRowMajor, s->transposeA ? CblasTrans : CblasNoTrans, s->transposeB ? CblasTrans : CblasNoTrans,
                            s->m, s->n, s->k, 1.0f, a, s->lda, b, s->ldb, s->beta, c, s->ldc);
            }
            double seconds = (now() - start) / calls;
            if (seconds < s->best) s->best = seconds;
        }
    }
    printf("%-42s %10s %8s %14s\n", "shape (row-major m x n x k)", "us", "GFLOP/s", "multiply-adds");
    for (int i = 0; i < count; i++) {
        Shape *s = &shapes[i];
        double madds = (double)s->m * s->n * s->k;
        printf("%-42s %10.2f %8.1f %14.0f\n", s->name, s->best * 1e6, 2 * madds / s->best / 1e9, madds);
    }
    return 0;
}
