// What Swift cannot say itself: the spin-wait hint, a thread's name, the CPUs this process may
// use, the floating-point unit's denormal mode, a prefetch hint. Header only.
#ifndef THINNED_CSUPPORT_H
#define THINNED_CSUPPORT_H

#if defined(__linux__)
#include <pthread.h>
// glibc declares it only under _GNU_SOURCE, which a module header cannot rely on.
extern int pthread_setname_np(pthread_t thread, const char *name);
#endif

/// Tells the core that this thread is spin-waiting (x86 `pause`, Arm `yield`): it saves power,
/// leaves the sibling hyper-thread the pipeline, and avoids a memory-order stall on exit.
static inline void thinned_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield");
#endif
}

/// Asks the memory system to bring the `bytes` bytes from `first` on into the second-level cache
/// (x86: `prefetcht1`): a hint, which changes no value and returns before the lines arrive. The
/// fused step's update asks for a tile's rows a few ahead of the one it updates: each row is a
/// short run (128 parameters), a layer's width from the next, which the hardware's stream
/// prefetchers barely learn before it ends (issue 11: the one-worker W1 update 1.56 → 1.34 ms
/// with Adam, 0.45 → 0.29 with SGD, asking into the first-level cache). Asked into the second
/// level, Adam's θ, m and v arrive in time (probably because its miss queue is deeper; not
/// measured): the one-worker Adam update 1.06 → 0.91 ms at batch 100 and 1.42 → 1.13 at batch
/// 1000 in alternating runs; SGD's the same within the noise.
static inline void thinned_prefetch(const void *first, long bytes) {
    const char *end = (const char *)first + bytes;
    for (const char *line = (const char *)((__UINTPTR_TYPE__)first & ~(__UINTPTR_TYPE__)63); line < end; line += 64) {
        __builtin_prefetch(line, 0, 2);
    }
}

/// Names the calling thread (the kernel keeps 15 bytes), so that `top -H`, `perf` and debuggers
/// show which worker is which.
static inline void thinned_name_current_thread(const char *name) {
#if defined(__linux__)
    (void)pthread_setname_np(pthread_self(), name);
#endif
}

/// The number of CPUs in the calling thread's affinity mask (what `taskset`, a cpuset or a
/// container allows), or -1 when it cannot be read. A raw system call (`sched_getaffinity`): glibc's
/// wrapper and its `CPU_COUNT` need `_GNU_SOURCE`, which a module header cannot rely on.
// Declared here, not through <unistd.h> and <sys/syscall.h>, whose macros would leak into Swift.
extern long syscall(long number, ...);
static inline int thinned_usable_cpu_count(void) {
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#if defined(__x86_64__)
    const long sched_getaffinity_number = 204;
#else
    const long sched_getaffinity_number = 123;
#endif
    unsigned long mask[128] = {0};   // 8192 CPUs
    long bytes = syscall(sched_getaffinity_number, 0L, sizeof mask, mask);
    if (bytes <= 0) return -1;
    int count = 0;
    for (long i = 0; i < bytes / (long)sizeof mask[0]; i++) count += __builtin_popcountl(mask[i]);
    return count;
#else
    return -1;
#endif
}

/// Makes the calling thread's floating-point unit flush denormal results to zero and read
/// denormal inputs as zero (x86: MXCSR's FTZ and DAZ bits; Arm: FPCR's FZ bit), and returns the
/// mode it had, for `thinned_set_float_mode`. Elsewhere it does nothing and returns 0.
static inline unsigned long thinned_flush_denormals(void) {
#if defined(__x86_64__)
    unsigned int mode = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(mode | 0x8040u);
    return mode;
#elif defined(__aarch64__)
    unsigned long mode;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(mode));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(mode | (1ul << 24)));
    return mode;
#else
    return 0;
#endif
}

/// Restores a mode `thinned_flush_denormals` returned.
static inline void thinned_set_float_mode(unsigned long mode) {
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr((unsigned int)mode);
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(mode));
#else
    (void)mode;
#endif
}

#endif
