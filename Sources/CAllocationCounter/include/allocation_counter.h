#ifndef THINNED_ALLOCATION_COUNTER_H
#define THINNED_ALLOCATION_COUNTER_H

/// The number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by the process so far, on every thread; -1 in a sanitizer build, which counts
/// nothing.
long thinned_allocation_count(void);

#endif
