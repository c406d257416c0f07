import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
///
/// A worker's own thread takes address space too, before its first `sgemm`: its stack, and a
/// glibc malloc arena for each of the first `8 × CPUs` threads (measured with `thinned train`
/// and 1–40 workers on 2 CPUs: 37 MiB once, then 8 MiB + 64 MiB a worker up to 15 workers, 8 MiB
/// beyond). A pool not yet started is checked for all of it (`requireCapacity(toStart:)`), a
/// running one for its buffers alone (`requireCapacity(workers:)`): the largest count the first
/// allows, the second allows too.
extension BLAS {
    /// The address space of one OpenBLAS work buffer (`BUFFER_SIZE` of the x86-64 builds).
    public static let bufferBytes = 128 << 20
    /// Buffers OpenBLAS keeps beyond `2 × MAX_THREADS` once those are in use (`NEW_BUFFERS`).
    static let overflowBuffers = 512
    /// The address space of one glibc malloc arena (`HEAP_MAX_SIZE`, 2 × `DEFAULT_MMAP_THRESHOLD_MAX`
    /// on 64-bit), which a thread's first `malloc` may reserve.
    static let arenaBytes = 64 << 20
    /// Address space a pool's start takes once, whatever its size (measured: 37 MiB), rounded up.
    static let poolStartBytes = 64 << 20

    /// The most workers that may call BLAS at the same time, and what sets that limit; nil when
    /// nothing does. With `started` false, the workers' threads are still to be started, and
    /// their stacks and malloc arenas count as well.
    public static func workerLimit(started: Bool = true) -> (workers: Int, reason: String)? {
        var limits: [(workers: Int, reason: String)] = []
        if let maxThreads = maxThreads {
            let buffers = 2 * maxThreads + overflowBuffers
            limits.append((buffers, "OpenBLAS has \(buffers) work buffers for calls in flight (2 × MAX_THREADS=\(maxThreads) + \(overflowBuffers)) and ends the program when they run out"))
        }
        if let address = MemoryBudget.addressSpace() {
            var workers = 0
            while addressBytes(workers: workers + 1, started: started) <= address.bytesLeft { workers += 1 }
            limits.append((workers, "\(costWording(started: started)); the address-space limit (ulimit -v \(address.limitBytes / 1024)) leaves \(address.bytesLeft >> 20) MiB, and OpenBLAS retries a buffer it cannot map forever (the run would hang)"))
        }
        return limits.min { $0.workers < $1.workers }
    }

    /// Throws unless the `workers` workers of a running pool can call BLAS at the same time (see
    /// `workerLimit`).
    public static func requireCapacity(workers: Int) throws(ConfigurationError) {
        try requireCapacity(workers: workers, started: true)
    }

    /// Throws unless a pool of `workers` workers, not yet started, could start and then call BLAS
    /// at the same time (see `workerLimit`): the largest count this allows also passes
    /// `requireCapacity(workers:)` once started.
    public static func requireCapacity(toStart workers: Int) throws(ConfigurationError) {
        try requireCapacity(workers: workers, started: false)
    }

    private static func requireCapacity(workers: Int, started: Bool) throws(ConfigurationError) {
        guard let limit = workerLimit(started: started), workers > limit.workers else { return }
        if limit.workers == 0, let address = MemoryBudget.addressSpace() {
            // Not even one worker fits: fewer --threads cannot help, a larger limit can. A running
            // pool's start may have taken less than it will under a larger limit (glibc skips
            // malloc arenas it cannot map), so the advice counts the whole start again.
            // Rounded up to whole MiB, and one more: the program's own mappings differ by a page or
            // so from one run to the next (a CI run asked for exactly this much, and was a page short).
            let needed = addressBytes(workers: workers, started: false)
            let mebibyte = 1 << 20
            let raised = ((address.limitBytes - address.bytesLeft + needed + mebibyte - 1) / mebibyte + 1) * 1024
            throw .invalid(option: "ulimit -v", value: "\(address.limitBytes / 1024)",
                           expected: "room for at least one worker: \(workers == 1 ? "1 worker needs" : "\(workers) workers need") \(needed) bytes of address space, but the limit leaves \(address.bytesLeft) bytes; raise ulimit -v to at least \(raised) (\(costWording(started: false)))")
        }
        throw .invalid(option: "--threads", value: "\(workers)",
                       expected: "at most \(limit.workers) worker\(limit.workers == 1 ? "" : "s") here: \(limit.reason); use fewer --threads")
    }

    /// The address space `workers` workers take from here on: their OpenBLAS buffers, and with
    /// `started` false also the pool's start, their stacks and their malloc arenas.
    static func addressBytes(workers: Int, started: Bool) -> Int {
        if started { return workers * bufferBytes }
        return poolStartBytes + workers * (threadStackBytes + bufferBytes) + min(workers, arenaLimit) * arenaBytes
    }

    /// How a message explains one worker's address space.
    private static func costWording(started: Bool) -> String {
        let buffer = "an OpenBLAS work buffer of \(bufferBytes >> 20) MiB"
        if started { return "each worker's BLAS calls need \(buffer) of address space" }
        let worker = (threadStackBytes >> 20) + (arenaBytes >> 20) + (bufferBytes >> 20)
        return "each worker needs about \(worker) MiB of address space: a stack of \(threadStackBytes >> 20) MiB, a malloc arena of \(arenaBytes >> 20) MiB for each of the first \(arenaLimit) workers and \(buffer); starting the pool takes \(poolStartBytes >> 20) MiB more"
    }

    /// A thread's stack with its guard page: glibc's default is `RLIMIT_STACK` (`ulimit -s`), or
    /// 32 MiB (`ARCH_STACK_DEFAULT_SIZE`, x86-64) when that is unlimited.
    static var threadStackBytes: Int {
        var stack = rlimit()
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_STACK.rawValue)   // glibc's enum type
        #else
        let resource = RLIMIT_STACK
        #endif
        guard getrlimit(resource, &stack) == 0, stack.rlim_cur < UInt64(Int.max) else {
            return (32 << 20) + page
        }
        return Int(stack.rlim_cur) + page
    }

    /// How many threads get a malloc arena of their own: glibc's `M_ARENA_MAX` default,
    /// 8 × online CPUs on 64-bit.
    static var arenaLimit: Int { 8 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// `MAX_THREADS` of the OpenBLAS build, from `openblas_get_config()`.
    static var maxThreads: Int? {
        guard let field = configuration.split(separator: " ").first(where: { $0.hasPrefix("MAX_THREADS=") }) else { return nil }
        return Int(field.dropFirst("MAX_THREADS=".count))
    }
}
