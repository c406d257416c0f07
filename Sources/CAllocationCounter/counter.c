// Counts heap allocations for `thinned scale`'s "allocations per step" (0 in steady state).
//
// Linked into the `thinned` executable only (never the library), it defines the allocation
// functions, which take precedence over glibc's, counts each call with one relaxed atomic
// increment, and forwards to glibc's own allocator (`__libc_*`). That is glibc's interface, so
// with another C library (macOS, musl) nothing is replaced and nothing is counted. Written by hand rather than
// taken from ordo-one/malloc-interposer because that one ships as a dynamic library to preload or
// to link, while `thinned` must be one self-contained binary in its bundle.
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "allocation_counter.h"

// Under a sanitizer the allocation functions belong to the sanitizer's runtime: replacing them
// would bypass its allocator (ThreadSanitizer crashes at start-up). Nothing is counted then.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define THINNED_UNDER_SANITIZER 1
#endif
#endif

#if defined(THINNED_UNDER_SANITIZER) || !defined(__GLIBC__)
long thinned_allocation_count(void) { return -1; }
#else

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Atomic long allocations;

static inline void count_one(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

long thinned_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_one();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment % sizeof(void *) != 0) return EINVAL;
    count_one();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}
#endif
