/// A fixed list of tasks that a pool's workers share: the allocation-free way to hand work to the
/// pool from a hot loop (an object reference changes hands, no closure is captured).
public protocol WorkerTasks: AnyObject {
    /// Runs task `task` on `worker`. Called concurrently from several workers, each task once.
    func run(task: Int, on worker: Worker)
}
