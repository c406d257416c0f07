// What Swift cannot say itself: the spin-wait hint and a thread's name. Header only.
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

/// Names the calling thread (the kernel keeps 15 bytes), so that `top -H`, `perf` and debuggers
/// show which worker is which.
static inline void thinned_name_current_thread(const char *name) {
#if defined(__linux__)
    (void)pthread_setname_np(pthread_self(), name);
#endif
}

#endif
