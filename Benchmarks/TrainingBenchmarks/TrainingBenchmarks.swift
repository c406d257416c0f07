import Benchmark
import Parallel
import Thinned

/// One training step of the design's workloads (DESIGN.md, "Performance method") for 1…N workers:
/// W1 = the reference MLP, inverted dropout 0.2/0.5, SGD, batch 100; W2 = the same at batch 1000;
/// W1+augment = W1 with every augmentation (shift 2 px, rotate 10°, flip, erase 8 px).
/// W1 and W2 also run on `DispatchExecutor` (GCD's `concurrentPerform`, unpinned: the names end
/// in ", dispatch"), the same tasks and the same bits as on the pinned pool.
/// One benchmark iteration is one step (`Trainer.train(batch:)`, the calling thread as worker 0,
/// not bound: binding is per run of steps); throughput is steps per second (× batch = samples/s).
/// Run: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE swift package benchmark --target TrainingBenchmarks`.
let benchmarks: @Sendable () -> Void = {
    BLAS.useSingleThread()
    let topology = Topology.load()
    let cores = (try? topology.get())?.places(.cores).count ?? 1
    let threadCounts = Array(Set([1, 2, 4, 8, 16, 32, 64].filter { $0 < cores } + [cores])).sorted()

    let everyTransform = Augmentation(transforms: Set(Augmentation.Transform.allCases))
    for (workload, batch, augmentation) in [("W1", 100, Augmentation.none), ("W2", 1000, .none), ("W1+augment", 100, everyTransform)] {
        for threads in threadCounts {
            let executors: [ExecutorKind] = augmentation == .none ? [.pool, .dispatch] : [.pool]
            for executor in executors {
                let step = LazyStep(batch: batch, threads: threads, topology: topology, augmentation: augmentation,
                                    executor: executor)
                Benchmark("\(workload) step, batch \(batch), \(threads) workers" + (executor == .pool ? "" : ", dispatch"),
                          configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], timeUnits: .microseconds,
                                               warmupIterations: 3, maxDuration: .seconds(3), maxIterations: 200)) { benchmark in
                    step.run()
                }
            }
        }
    }
}

/// A trainer made on first use, so that only the configurations being run hold memory.
/// `@unchecked Sendable`: package-benchmark runs one benchmark at a time, on one thread.
final class LazyStep: @unchecked Sendable {
    let batch: Int
    let threads: Int
    let topology: Result<Topology, TopologyError>
    let augmentation: Augmentation
    let executor: ExecutorKind
    private var trainer: Trainer?
    private var order: EpochOrder?
    private var next = 0

    init(batch: Int, threads: Int, topology: Result<Topology, TopologyError>, augmentation: Augmentation,
         executor: ExecutorKind) {
        self.batch = batch
        self.threads = threads
        self.topology = topology
        self.augmentation = augmentation
        self.executor = executor
    }

    func run() {
        if trainer == nil {
            let pool: any ForkJoinExecutor = executor == .pool
                ? try! WorkerPool.start(threads: threads, bind: .close, places: .cores, topology: topology).pool
                : try! DispatchExecutor(workers: threads)
            var configuration = TrainingConfiguration(optimizer: .init(kind: .sgd), batchSize: batch, epochs: 1)
            configuration.augmentation = augmentation
            let data = DataSplit.synthetic(features: 784, classes: 10, trainCount: 4 * batch, testCount: 10, seed: 1)
            trainer = try! Trainer(configuration: configuration, data: data, pool: pool)
            order = EpochOrder(count: data.train.count, batchSize: batch, epoch: 0, seed: 1)
        }
        trainer!.train(batch: order!.batch(next % order!.batches))
        next += 1
    }
}
