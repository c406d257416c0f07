import Parallel

extension FusedStep {
    /// Zero-fills the shared workspace from the workers, each task the part of it that the same
    /// task of a step writes, so that on a NUMA machine each page lands on the node of a worker
    /// that works on it (first touch), not all on the calling thread's node.
    ///
    /// Every worker's gradient tile is zeroed by that worker. The calling thread, which is a
    /// pool's worker 0, is bound to worker 0's place meanwhile (`pinningCaller`), so that the
    /// pages of the tasks it runs land there too.
    ///
    /// Every element of the inputs, deltas, outputs and losses is covered: the input blocks cover
    /// `inputs[0]`, the forward tiles of layer `l` below the output layer `inputs[l + 1]` and
    /// `deltas[l]` (of the same shape; its own delta tiles may be cut into other columns, so those
    /// pages follow the forward tiles), the output blocks `outputs` and the losses.
    func firstTouch() {
        pool.pinningCaller {
            for phase in phases(rows: capacity) { pool.forEachTask(phase.count, of: FirstTouch(step: self, tasks: phase)) }
            // Each worker's gradient tile, by that worker.
            let tiles = gradientTiles
            _ = pool.map { worker in
                (tiles + worker.index * Self.tileStride).initialize(repeating: 0, count: Self.tileStride)
            }
        }
    }
}

/// The first-touch pass over one phase's task list: task `i` zeroes what task `i` of the phase
/// writes into the workspace.
private final class FirstTouch: WorkerTasks {
    let workspace: Workspace
    let widths: [Int]
    let tasks: [FusedStep.Task]

    init(step: FusedStep, tasks: [FusedStep.Task]) {
        workspace = step.workspace
        widths = step.network.model.layers
        self.tasks = tasks
    }

    func run(task: Int, on worker: Worker) {
        switch tasks[task] {
        case let .input(rows):
            zero(workspace.inputs[0], width: widths[0], rows: rows, columns: 0..<widths[0])
        case let .forward(layer, rows, columns):
            zero(workspace.deltas[layer], width: widths[layer + 1], rows: rows, columns: columns)
            zero(workspace.inputs[layer + 1], width: widths[layer + 1], rows: rows, columns: columns)
        case let .output(rows):
            let classes = widths[widths.count - 1]
            zero(workspace.outputs, width: classes, rows: rows, columns: 0..<classes)
            (workspace.losses + rows.lowerBound).update(repeating: 0, count: rows.count)
        case .delta, .gradient, .clip, .bound, .exactTile, .apply:
            break
        }
    }

    /// Zeroes `rows × columns` of the row-major matrix `m: [rows, width]`.
    private func zero(_ m: UnsafeMutablePointer<Float>, width: Int, rows: Range<Int>, columns: Range<Int>) {
        for r in rows { (m + r * width + columns.lowerBound).initialize(repeating: 0, count: columns.count) }
    }
}
