// zlib (Debian zlib1g-dev): inflate decompresses gzipped IDX files; compress2/crc32 write PNGs.
#include <zlib.h>
