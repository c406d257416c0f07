// A prefetch hint for the optimizer's streams, in C: Swift has no word for one.
//
// The fused step updates a weight tile row by row (64 rows of 128 parameters, a layer's width
// apart) from its gradient tile: short runs that the hardware's stream prefetchers barely learn
// before each ends. Asking for the rows a few ahead overlaps their loads with the update of the
// current one (issue 11: the Adam update of W1 on one worker, median of eight alternating runs,
// 1.77 → 1.65 ms a step; DESIGN.md's bits are untouched, a prefetch changes no value).

#include "prefetch.h"

void thinned_prefetch(const void *first, long bytes) {
    const char *end = (const char *)first + bytes;
    for (const char *line = (const char *)((unsigned long)first & ~63ul); line < end; line += 64) {
        __builtin_prefetch(line, 1, 3);
    }
}
