/// Something that runs a fixed list of tasks fork–join on a set of workers: what a training step
/// needs from whoever runs it. ``WorkerPool`` (dedicated threads, each pinned where its plan
/// says) is the executor the program uses; ``DispatchExecutor`` (GCD's own thread pool, unpinned)
/// runs the same tasks so that the two can be measured side by side.
///
/// Determinism: an executor decides only *who* runs a task and *when*, never *what* it computes.
/// A caller whose tasks are fixed by its data (never by ``count``), and whose every result
/// depends only on its task, gets the same bits from any executor and any number of workers.
///
/// Floating point: every task (and every `map` body) runs with denormals flushed to zero — results
/// below Float's smallest normal, 1.2 × 10⁻³⁸, become 0 and such inputs read as 0 (x86's FTZ and
/// DAZ, Arm's FZ), on every executor alike, so the mode never depends on which thread ran a task.
/// Denormal operands cost the arithmetic units a slow assist each: the softmax's probabilities of
/// the classes a trained net rules out, and the deltas and Adam moments they feed, underflow to
/// them, and on the development VM the reference run's Adam step slowed from 4.5 ms in its first
/// epoch to 6.5–7 ms by its fourth without the flush, and stayed at 4.2–4.7 with it (issue 11).
/// XLA's CPU backend flushes them too.
public protocol ForkJoinExecutor: AnyObject, Sendable {
    /// The number of workers: every ``Worker/index`` it hands out is below it.
    var count: Int { get }

    /// Runs `tasks.run(task: i, on:)` for every `i` in `0 ..< count`, each exactly once,
    /// concurrently on the workers, and returns when all are done. Workers claim tasks as they
    /// become free, so uneven tasks balance (the pool's from a share of their own first, GCD's as
    /// it hands them out); which worker runs a task varies from run to run. Memory the caller
    /// wrote before the call is visible to every task, and what the tasks wrote is visible to the
    /// caller afterwards.
    ///
    /// Calling it from inside one of its own tasks, or from two threads at once, is a programming
    /// error and stops the program.
    func forEachTask(_ count: Int, of tasks: any WorkerTasks)

    /// The same, with the calling thread running `whileWaiting` again and again while the tasks
    /// run — the pool's caller before and after each task it runs itself, then while it waits — until they
    /// are done or it returns false (then the caller waits as usual): what lets MPI's nonblocking
    /// collectives progress during a phase, since MPI advances them only inside its calls, on the
    /// thread that may call it. An executor that cannot interleave it (GCD's, whose caller takes
    /// part in `concurrentPerform`) runs the tasks alone and `whileWaiting` never.
    func forEachTask(_ count: Int, of tasks: any WorkerTasks, whileWaiting: () -> Bool)

    /// Runs `body(worker)` once for every worker index, possibly concurrently (a body must not wait
    /// for another worker's), and returns the results in
    /// index order: the way to make per-worker state (scratch workspaces, result slots).
    func map<T>(_ body: (Worker) -> T) -> [T]

    /// Runs `body` with the calling thread placed where the executor's worker 0 belongs, when
    /// the calling thread is one of its workers (``WorkerPool``'s worker 0), and puts it back
    /// afterwards: what a run of many steps is wrapped in.
    func pinningCaller<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R
}

extension ForkJoinExecutor {
    /// An executor whose workers are all its own threads has nothing to place: it runs `body`.
    public func pinningCaller<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R { try body() }

    public func forEachTask(_ count: Int, of tasks: any WorkerTasks, whileWaiting: () -> Bool) {
        forEachTask(count, of: tasks)
    }
}
