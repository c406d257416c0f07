// The CPU features the kernels choose their paths by.

#include "cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

static int detect_avx512f(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_AVX512F)) return 0;
    // The OS saves the opmask and the upper ZMM state (XCR0 bits 1, 2, 5, 6, 7).
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    return (xcr0_low & 0xE6) == 0xE6;
}

static int detect_avx512dq(void) {
    unsigned int a, b, c, d;
    return detect_avx512f() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512DQ);
}
#else
static int detect_avx512f(void) { return 0; }
static int detect_avx512dq(void) { return 0; }
#endif

/// `detect()`, asked once and kept in `*slot` (-1 until then).
static int cached(int *slot, int (*detect)(void)) {
    int known = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (known < 0) {
        known = detect();
        __atomic_store_n(slot, known, __ATOMIC_RELAXED);
    }
    return known;
}

static int has_avx512f = -1, has_avx512dq = -1;

int thinned_cpu_has_avx512f(void) { return cached(&has_avx512f, detect_avx512f); }

int thinned_cpu_has_avx512dq(void) { return cached(&has_avx512dq, detect_avx512dq); }
