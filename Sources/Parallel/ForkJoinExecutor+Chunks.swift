extension ForkJoinExecutor {
    /// Runs `body(chunk, worker)` for every chunk of `range` cut into pieces of `size` elements
    /// (the last one shorter), and returns when all are done.
    ///
    /// Determinism: the chunks depend on `range` and `size` only, never on the number of workers;
    /// which worker runs which chunk varies from run to run (workers claim chunks as tasks of
    /// `forEachTask`, which balances uneven work), so a result must depend only on the chunk.
    public func forEachChunk(of range: Range<Int>, size: Int, _ body: (Range<Int>, Worker) -> Void) {
        precondition(size >= 1, "ForkJoinExecutor.forEachChunk: size must be >= 1, got \(size)")
        let chunks = WorkerPool.chunkCount(of: range.count, size: size)
        guard chunks > 0 else { return }
        withoutActuallyEscaping(body) { body in
            forEachTask(chunks, of: ChunkTasks(range: range, size: size, body: body))
        }
    }
}

/// `forEachChunk`'s chunks as a task list: task `i` is chunk `i`.
private final class ChunkTasks: WorkerTasks {
    let range: Range<Int>
    let size: Int
    let body: (Range<Int>, Worker) -> Void
    init(range: Range<Int>, size: Int, body: @escaping (Range<Int>, Worker) -> Void) {
        self.range = range
        self.size = size
        self.body = body
    }
    func run(task: Int, on worker: Worker) {
        let start = range.lowerBound + task * size
        body(start..<min(start + size, range.upperBound), worker)
    }
}
