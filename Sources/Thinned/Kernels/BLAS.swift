import CBLAS

/// The OpenBLAS library the engine calls, and its one piece of global configuration.
///
/// Determinism depends on BLAS running single-threaded inside each worker: the pool is the only
/// source of parallelism, and every product has a fixed shape (DESIGN.md, determinism contract).
public enum BLAS {
    /// Makes every OpenBLAS call run on the calling thread only. Call once at start-up, before
    /// any worker calls BLAS. The corresponding OpenBLAS call is `openblas_set_num_threads(1)`.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// The number of threads OpenBLAS would use for one call.
    /// The corresponding OpenBLAS call is `openblas_get_num_threads`.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// How the library was built, as `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64`.
    /// The corresponding OpenBLAS call is `openblas_get_config`.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The kernel OpenBLAS chose for this CPU (or was told to use by `OPENBLAS_CORETYPE`), as
    /// `Zen` or `SkylakeX`. The corresponding OpenBLAS call is `openblas_get_corename`.
    public static var coreName: String { String(cString: openblas_get_corename()) }
}
