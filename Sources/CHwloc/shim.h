// The hwloc API as Swift sees it. hwloc.h's own `static inline` helpers (hwloc_distrib,
// hwloc_get_nbobjs_by_type, …) import as they are; nothing here needs a wrapper yet.
#include <hwloc.h>
