#ifndef THINNED_CPU_FEATURES_H
#define THINNED_CPU_FEATURES_H

/// 1 when the CPU has AVX-512 Foundation and the OS saves its registers (CPUID and XGETBV, read
/// once), else 0. The kernels choose their AVX-512 path by it at run time, never at build time,
/// so one binary runs everywhere, and each path gives the same bits.
int thinned_cpu_has_avx512f(void);

/// 1 when the CPU also has AVX-512 DQ (the conversions between doubles and 64-bit integers).
int thinned_cpu_has_avx512dq(void);

#endif
