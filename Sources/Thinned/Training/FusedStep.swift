import Parallel

/// The plan of record (DESIGN.md, "The training step"): per-sample semantics, batched arithmetic.
///
/// Phases, each one fork–join over a fixed list of tasks that workers claim in turn:
/// 1. the images of each block of rows, masked with their samples' input masks;
/// 2. forward, layer by layer: tiles of `shardSize` samples × `tileColumns` units, each one GEMM
///    and one fused pass (bias, ReLU, each sample's mask for the next layer);
/// 3. the output layer and softmax cross-entropy by blocks of rows;
/// 4. for each layer l from the top: the deltas of layer l − 1 in the same 2-D tiles (they read
///    the old weights of layer l), together with the gradient tiles of layer l + 1 — each tile
///    one GEMM over the whole batch, Δᵀ Z̃ / |𝔹|, updated by the optimizer while still in cache
///    (its layer's old weights have no reader left);
/// 5. the gradient tiles of layers 1 and 0.
///
/// Determinism: rows blocks and tiles are fixed by the batch size and the layer widths, never by
/// the number of threads, and every element is computed by the same call with the same shape.
///
/// The shared workspace is first touched by the workers along this tile plan, not zero-filled
/// by the calling thread (see `FusedStep+FirstTouch.swift`).
final class FusedStep: GradientEngine {
    enum Task {
        case input(rows: Range<Int>)
        case forward(layer: Int, rows: Range<Int>, columns: Range<Int>)
        case output(rows: Range<Int>)
        case delta(layer: Int, rows: Range<Int>, columns: Range<Int>)
        case gradient(layer: Int, outputs: Range<Int>, inputs: Range<Int>)
    }

    /// Weight-gradient tiles are this many outputs × inputs (fixed, whatever the thread count).
    static let tileOutputs = 64
    static let tileInputs = 128
    /// Forward and delta tiles are `shardSize` samples × this many units (a multiple of 4: whole
    /// Philox blocks of the masks).
    static let tileColumns = 64
    /// Rows per task of the cheap elementwise phases (masking the images, the softmax).
    static let elementwiseRows = 10

    let network: Network
    let pool: any ForkJoinExecutor
    let batchSize: Int
    let workspace: Workspace
    let phases: [[Task]]

    init(network: Network, pool: any ForkJoinExecutor, batchSize: Int, shardSize: Int) {
        precondition(shardSize >= 1, "FusedStep: shard size \(shardSize) must be >= 1")
        precondition(network.model.maskKind?.sharesWeights ?? true,
                     "FusedStep: \(network.model.dropout) gives every sample its own weights; it needs the literal step")
        BLAS.useSingleThread()
        self.network = network
        self.pool = pool
        self.batchSize = batchSize
        self.workspace = Workspace(widths: network.model.layers, rows: batchSize, zeroed: false)
        func blocks(_ count: Int, _ size: Int) -> [Range<Int>] {
            stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
        }
        let shards = blocks(batchSize, shardSize), small = blocks(batchSize, Self.elementwiseRows)
        let layers = network.layout.layers
        func tiles(_ l: Int) -> [Task] {
            blocks(layers[l].outputs, Self.tileOutputs).flatMap { o in
                blocks(layers[l].inputs, Self.tileInputs).map { i in Task.gradient(layer: l, outputs: o, inputs: i) }
            }
        }
        var phases: [[Task]] = [small.map { .input(rows: $0) }]
        for l in 0..<(layers.count - 1) {
            phases.append(shards.flatMap { rows in
                blocks(layers[l].outputs, Self.tileColumns).map { Task.forward(layer: l, rows: rows, columns: $0) }
            })
        }
        phases.append(small.map { .output(rows: $0) })
        for l in stride(from: layers.count - 1, through: 1, by: -1) {
            let deltas = shards.flatMap { rows in
                blocks(layers[l].inputs, Self.tileColumns).map { Task.delta(layer: l, rows: rows, columns: $0) }
            }
            phases.append(deltas + (l + 1 < layers.count ? tiles(l + 1) : []))
        }
        phases.append((layers.count > 1 ? tiles(1) : []) + tiles(0))
        self.phases = phases
        firstTouch()
    }

    /// Set to collect where the time of each step goes.
    var profiler: Profiler?

    /// What the running step's tasks read: set by `step` before each phase, read by the workers
    /// (the pool's fork–join orders the two).
    private struct Current {
        let p: StatePointers
        let batch: Network.Batch
        let update: OptimizerUpdate
        let tasks: [Task]
    }
    private var current: Current?

    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float {
        precondition(batch.count == batchSize, "FusedStep: batch of \(batch.count), built for \(batchSize)")
        state.withPointers { p in
            // By index: a `for … in` over the array of arrays goes through the array's `read`
            // accessor, whose coroutine frame an unoptimised build allocates on the heap.
            for phase in phases.indices {
                let tasks = phases[phase]
                current = Current(p: p, batch: batch, update: update, tasks: tasks)
                if let profiler {
                    profiler.forkJoin { pool.forEachTask(tasks.count, of: self) }
                } else {
                    pool.forEachTask(tasks.count, of: self)
                }
            }
            current = nil
        }
        return Self.meanLoss(workspace.losses, count: batchSize)
    }
}

extension FusedStep: WorkerTasks {
    func run(task index: Int, on worker: Worker) {
        let current = self.current.unsafelyUnwrapped, p = current.p, profiler = self.profiler
        let start = profiler == nil ? 0 : Clock.seconds()
        switch current.tasks[index] {
        case let .input(rows):
            network.maskInputs(workspace, rows: rows, positionOffset: 0, batch: current.batch)
            profiler?.add(.forward, worker: worker.index, seconds: Clock.seconds() - start)
        case let .forward(layer, rows, columns):
            network.forwardTile(workspace, layer: layer, rows: rows, columns: columns, positionOffset: 0,
                                batch: current.batch, parameters: p.theta)
            profiler?.add(.forward, worker: worker.index, seconds: Clock.seconds() - start)
        case let .output(rows):
            network.output(workspace, rows: rows, positionOffset: 0, batch: current.batch, parameters: p.theta)
            profiler?.add(.forward, worker: worker.index, seconds: Clock.seconds() - start)
        case let .delta(layer, rows, columns):
            network.backwardDeltaTile(workspace, layer: layer, rows: rows, columns: columns, parameters: p.theta)
            profiler?.add(.backward, worker: worker.index, seconds: Clock.seconds() - start)
        case let .gradient(layer, outputs, inputs):
            network.gradient(workspace, layer: layer, rows: batchSize, outputs: outputs, inputs: inputs,
                             alpha: 1 / Float(batchSize), into: p.gradient)
            let computed = profiler == nil ? 0 : Clock.seconds()
            let weights = network.layout.layers[layer]
            for o in outputs {
                let row = weights.weights.lowerBound + o * weights.inputs
                p.apply(current.update, (row + inputs.lowerBound)..<(row + inputs.upperBound))
            }
            if inputs.lowerBound == 0 {
                p.apply(current.update, (weights.bias.lowerBound + outputs.lowerBound)..<(weights.bias.lowerBound + outputs.upperBound))
            }
            profiler?.add(.parameter, worker: worker.index, seconds: computed - start)
            profiler?.add(.update, worker: worker.index, seconds: Clock.seconds() - computed)
        }
    }
}
