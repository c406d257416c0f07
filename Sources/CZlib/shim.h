// zlib (Debian zlib1g-dev): gzopen/gzread read gzip files, and plain ones transparently.
#include <zlib.h>
