extension WorkerPool {
    /// Runs `tasks.run(task: i, on:)` for every `i` in `0 ..< count`, each exactly once, and
    /// returns when all are done. Each worker claims tasks in order from its own contiguous share
    /// of `0 ..< count`, then from the others' (`PoolState`), so uneven tasks balance and a list
    /// that repeats gives a worker mostly the same tasks; which worker runs a task still varies,
    /// so a result must depend only on the task.
    /// The join waits for the tasks, not for every worker: one that is descheduled holds nothing
    /// up. Allocates nothing.
    public func forEachTask(_ count: Int, of tasks: any WorkerTasks) {
        guard let sequence = post(count, of: tasks) else { return }
        state.runCallerPart(of: sequence)
        finish()
    }

    /// The same, the caller running `whileWaiting` once before it takes a task, after each task
    /// it runs itself, then until the tasks are done or it returns false. Allocates nothing
    /// either (the closures stay non-escaping).
    public func forEachTask(_ count: Int, of tasks: any WorkerTasks, whileWaiting: () -> Bool) {
        guard let sequence = post(count, of: tasks) else { return }
        var progressing = whileWaiting()
        state.runCallerPart(of: sequence) { if progressing { progressing = whileWaiting() } }
        if progressing { state.join(whileWaiting: whileWaiting) }
        finish()
    }

    /// Hands `count` tasks to the workers and returns the job's sequence number; nil (and
    /// nothing posted) for none.
    private func post(_ count: Int, of tasks: any WorkerTasks) -> UInt64? {
        precondition(count >= 0, "WorkerPool.forEachTask: count must be >= 0, got \(count)")
        guard count > 0 else { return nil }
        precondition(
            state.inBroadcast.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged,
            "WorkerPool.forEachTask: called while another job on this pool is running (from a job, or from a second thread)")
        precondition(count < 1 << 32, "WorkerPool.forEachTask: count \(count) must be < 2^32")
        state.tasks = tasks
        return state.post(kind: count)
    }

    /// Waits for the posted tasks and frees the pool for the next job.
    private func finish() {
        state.join()
        state.tasks = nil
        state.inBroadcast.store(false, ordering: .releasing)
    }

    /// The number of chunks of `size` elements that cover `count` elements.
    public static func chunkCount(of count: Int, size: Int) -> Int {
        precondition(size >= 1, "WorkerPool.chunkCount: size must be >= 1, got \(size)")
        return (count + size - 1) / size
    }

    /// Part `part` of `parts` near-equal contiguous parts of `range`: the first
    /// `range.count % parts` parts are one element longer. For static partitions where the
    /// number of parts is fixed by the data, not by the pool.
    public static func share(of range: Range<Int>, part: Int, of parts: Int) -> Range<Int> {
        precondition(parts >= 1 && (0..<parts).contains(part),
                     "WorkerPool.share: part \(part) of \(parts) is out of range")
        let base = range.count / parts, extra = range.count % parts
        let start = range.lowerBound + part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }
}
