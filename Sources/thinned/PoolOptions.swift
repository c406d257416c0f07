import ArgumentParser
import Parallel
import Thinned

/// The options that say how many workers run and where: shared by every command that starts a pool.
struct PoolOptions: ParsableArguments {
    @Option(help: "Number of worker threads (default: one per place in the usable set).")
    var threads: Int?

    @Option(help: "Placement: close (alias compact), spread (alias scatter) or none.")
    var bind: BindPolicy = .close

    @Option(help: "What one worker is bound to: cores (all PUs of a core) or threads (one PU).")
    var places: PlaceKind = .cores

    @Flag(help: "Allow more workers than places; they then share places.")
    var oversubscribe = false

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// Starts the pool these options describe on this machine (see `WorkerPool.start`).
    func start() throws(PoolError) -> PoolStart {
        try WorkerPool.start(threads: threads, bind: bind, places: places, oversubscribe: oversubscribe)
    }

    /// Starts the pool these options describe, for commands whose workers call BLAS: a pool
    /// larger than OpenBLAS can serve at once is refused (before it starts when `--threads` is
    /// given), rather than left to hang inside OpenBLAS.
    func startForBLAS() throws -> WorkerPool {
        if let threads { try BLAS.requireCapacity(toStart: threads) }
        let workers = try start().pool
        try BLAS.requireCapacity(workers: workers.count)
        return workers
    }
}

extension BindPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { ["close", "compact", "spread", "scatter", "none"] }
}

extension PlaceKind: ExpressibleByArgument {}
