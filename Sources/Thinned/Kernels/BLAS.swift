import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The OpenBLAS library the engine calls, and its one piece of global configuration.
///
/// Determinism depends on BLAS running single-threaded inside each worker: the pool is the only
/// source of parallelism, and every product has a fixed shape (DESIGN.md, determinism contract).
public enum BLAS {
    /// Makes every OpenBLAS call run on the calling thread only. Every engine that calls BLAS
    /// from a pool's workers calls it where it starts (so a library user gets it too); it does
    /// nothing when OpenBLAS is single-threaded already. The corresponding OpenBLAS call is
    /// `openblas_set_num_threads(1)`.
    public static func useSingleThread() {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
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

extension BLAS {
    /// `c ← alpha · op(a) · op(b) + beta · c`, row-major, single precision; `op` transposes when
    /// asked. `c: [m, n]`, `op(a): [m, k]`, `op(b): [k, n]`; `lda`, `ldb`, `ldc` are row strides.
    /// The corresponding CBLAS call is `cblas_sgemm` with `CblasRowMajor`.
    public static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
