import Parallel

/// The plan of record (DESIGN.md, "The training step"): per-sample semantics, batched arithmetic.
///
/// Phases, each one fork–join over a fixed list of tasks that workers claim in turn:
/// 1. forward: each shard of `shardSize` samples draws its masks and runs every layer (GEMMs
///    with M = shard size, fused bias/ReLU/mask passes, softmax cross-entropy);
/// 2. for each layer l from the top: the deltas of layer l − 1 by shards (they read the old
///    weights of layer l), together with the gradient tiles of layer l + 1 — each tile one GEMM
///    over the whole batch, Δᵀ Z̃ / |𝔹|, updated by the optimizer while still in cache (its
///    layer's old weights have no reader left);
/// 3. the gradient tiles of layer 0.
///
/// Determinism: shards and tiles are fixed by the batch size and the layer widths, never by the
/// number of threads, and every element is computed by the same call with the same shape.
final class FusedStep: GradientEngine {
    enum Task {
        case forward(rows: Range<Int>)
        case delta(layer: Int, rows: Range<Int>)
        case gradient(layer: Int, outputs: Range<Int>, inputs: Range<Int>)
    }

    /// Weight-gradient tiles are this many outputs × inputs (fixed, whatever the thread count).
    static let tileOutputs = 64
    static let tileInputs = 128

    let network: Network
    let pool: WorkerPool
    let batchSize: Int
    let workspace: Workspace
    let phases: [[Task]]

    init(network: Network, pool: WorkerPool, batchSize: Int, shardSize: Int) {
        precondition(shardSize >= 1, "FusedStep: shard size \(shardSize) must be >= 1")
        self.network = network
        self.pool = pool
        self.batchSize = batchSize
        self.workspace = Workspace(widths: network.model.layers, rows: batchSize)
        let shards = stride(from: 0, to: batchSize, by: shardSize).map { $0..<min($0 + shardSize, batchSize) }
        let layers = network.layout.layers
        func tiles(_ l: Int) -> [Task] {
            stride(from: 0, to: layers[l].outputs, by: Self.tileOutputs).flatMap { o in
                stride(from: 0, to: layers[l].inputs, by: Self.tileInputs).map { i in
                    Task.gradient(layer: l, outputs: o..<min(o + Self.tileOutputs, layers[l].outputs),
                                  inputs: i..<min(i + Self.tileInputs, layers[l].inputs))
                }
            }
        }
        var phases: [[Task]] = [shards.map { .forward(rows: $0) }]
        for l in stride(from: layers.count - 1, through: 1, by: -1) {
            phases.append(shards.map { .delta(layer: l, rows: $0) } + (l + 1 < layers.count ? tiles(l + 1) : []))
        }
        phases.append((layers.count > 1 ? tiles(1) : []) + tiles(0))
        self.phases = phases
    }

    func step(_ state: inout TrainingState, batch: Network.Batch, update: OptimizerUpdate) -> Float {
        precondition(batch.count == batchSize, "FusedStep: batch of \(batch.count), built for \(batchSize)")
        let network = self.network, workspace = self.workspace
        let alpha = 1 / Float(batchSize)
        state.withPointers { p in
            for tasks in phases {
                pool.forEachChunk(of: 0..<tasks.count, size: 1) { chunk, _ in
                    switch tasks[chunk.lowerBound] {
                    case let .forward(rows):
                        network.forward(workspace, rows: rows, positionOffset: 0, batch: batch, parameters: p.theta)
                    case let .delta(layer, rows):
                        network.backwardDelta(workspace, layer: layer, rows: rows, parameters: p.theta)
                    case let .gradient(layer, outputs, inputs):
                        network.gradient(workspace, layer: layer, rows: batch.count, outputs: outputs, inputs: inputs,
                                         alpha: alpha, into: p.gradient)
                        let weights = network.layout.layers[layer]
                        for o in outputs {
                            let row = weights.weights.lowerBound + o * weights.inputs
                            p.apply(update, (row + inputs.lowerBound)..<(row + inputs.upperBound))
                        }
                        if inputs.lowerBound == 0 {
                            p.apply(update, (weights.bias.lowerBound + outputs.lowerBound)..<(weights.bias.lowerBound + outputs.upperBound))
                        }
                    }
                }
            }
        }
        return Network.meanLoss(workspace.losses, count: batchSize)
    }
}
