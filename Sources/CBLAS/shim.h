// The CBLAS interface of OpenBLAS (Debian's libopenblas-dev), plus its own extensions
// `openblas_set_num_threads`, `openblas_get_config` and `openblas_get_corename`.
#include <cblas.h>
