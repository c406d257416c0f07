#ifndef THINNED_PREFETCH_H
#define THINNED_PREFETCH_H

/// Asks the memory system to bring the `bytes` bytes from `first` on into the cache, to be
/// written: a hint, which changes no value anywhere and returns before the lines arrive.
void thinned_prefetch(const void *first, long bytes);

#endif
