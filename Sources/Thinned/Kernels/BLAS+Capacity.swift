import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// How many workers OpenBLAS can serve at once.
///
/// OpenBLAS (0.3.x, pthreads build) gives every `sgemm` call in flight a work buffer from a
/// process-wide table: `2 × MAX_THREADS` slots, then (with a warning) 512 more, and a call that
/// finds none ends the program. A buffer, once mapped, is kept: it is `bufferBytes` of address
/// space (measured on Debian's 0.3.21, x86-64: the address space grows by 128 MiB at a thread's
/// first `sgemm`). Under an address-space limit (`ulimit -v`) a buffer that cannot be mapped is
/// retried forever — the process hangs (40 threads calling `sgemm` at once under
/// `ulimit -v 4000000` never return; 20 do). So a pool whose workers all call BLAS must be no
/// larger than both limits, and is refused before its first step otherwise.
extension BLAS {
    /// The address space of one OpenBLAS work buffer (`BUFFER_SIZE` of the x86-64 builds).
    public static let bufferBytes = 128 << 20
    /// Buffers OpenBLAS keeps beyond `2 × MAX_THREADS` once those are in use (`NEW_BUFFERS`).
    static let overflowBuffers = 512

    /// The most workers that may call BLAS at the same time, and what sets that limit; nil when
    /// nothing does.
    public static func workerLimit() -> (workers: Int, reason: String)? {
        var limits: [(workers: Int, reason: String)] = []
        if let maxThreads = maxThreads {
            let buffers = 2 * maxThreads + overflowBuffers
            limits.append((buffers, "OpenBLAS has \(buffers) work buffers for calls in flight (2 × MAX_THREADS=\(maxThreads) + \(overflowBuffers)) and ends the program when they run out"))
        }
        var address = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &address) == 0, address.rlim_cur < UInt64(Int.max) {
            let left = max(0, Int(address.rlim_cur) - (MemoryBudget.virtualBytes() ?? 0))
            limits.append((left / bufferBytes, "each worker's BLAS calls need an OpenBLAS work buffer of \(bufferBytes >> 20) MiB of address space, the address-space limit (ulimit -v \(Int(address.rlim_cur) / 1024)) leaves \(left >> 20) MiB, and OpenBLAS retries a buffer it cannot map forever (the run would hang)"))
        }
        return limits.min { $0.workers < $1.workers }
    }

    /// Throws unless `workers` workers can call BLAS at the same time (see `workerLimit`).
    public static func requireCapacity(workers: Int) throws(ConfigurationError) {
        if let limit = workerLimit(), workers > limit.workers {
            throw .invalid(option: "--threads", value: "\(workers)",
                           expected: "at most \(limit.workers) workers here: \(limit.reason); use fewer --threads")
        }
    }

    /// `MAX_THREADS` of the OpenBLAS build, from `openblas_get_config()`.
    static var maxThreads: Int? {
        guard let field = configuration.split(separator: " ").first(where: { $0.hasPrefix("MAX_THREADS=") }) else { return nil }
        return Int(field.dropFirst("MAX_THREADS=".count))
    }
}
