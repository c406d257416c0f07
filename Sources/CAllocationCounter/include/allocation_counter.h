#ifndef THINNED_ALLOCATION_COUNTER_H
#define THINNED_ALLOCATION_COUNTER_H

/// The number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by the process so far, on every thread; -1 where nothing is counted (a sanitizer
/// build, or a C library other than glibc).
long thinned_allocation_count(void);

#endif
