/// The processes of one training run and the collectives the exact reduction needs: every
/// process calls each of them in the same order with the same counts.
///
/// `LocalCommunicator` is the one process of a plain run; the `thinned` tool built with the `MPI`
/// trait has one over MPI's `MPI_COMM_WORLD`.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< `size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every process's `values` replaced by the elementwise maximum over the processes.
    func maximum(_ values: UnsafeMutableBufferPointer<Float>)
    /// Every process's `values` replaced by the elementwise sum over the processes (integers:
    /// exact in any order).
    func sum(_ values: UnsafeMutableBufferPointer<Int64>)
    /// Every process's `all` filled with the processes' `mine` in rank order: process r's at
    /// `offsets[r]`, `counts[r]` Floats (the same `counts` and `offsets` on every process).
    func gather(_ mine: UnsafeBufferPointer<Float>, into all: UnsafeMutableBufferPointer<Float>, counts: [Int], offsets: [Int])
    /// Every process's `bytes` replaced by rank 0's (the same count on every process).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer)
    /// Whether any process's `flag` is true (every process gets the answer).
    func any(_ flag: Bool) -> Bool
    /// Starts `sum` on `values` and returns at once with a handle (every process starts the same
    /// sums in the same order); `values` must not be touched until `finish(handle)` returns.
    func startSum(_ values: UnsafeMutableBufferPointer<Int64>) -> Int
    /// Lets the started sums progress (MPI advances nonblocking collectives inside its calls);
    /// returns whether any is still under way.
    func progress() -> Bool
    /// Waits for the sum `handle` to be complete.
    func finish(_ handle: Int)
}

extension Communicator {
    /// Without nonblocking collectives: the sum happens at once.
    public func startSum(_ values: UnsafeMutableBufferPointer<Int64>) -> Int {
        sum(values)
        return 0
    }
    public func progress() -> Bool { false }
    public func finish(_ handle: Int) {}
}

/// The one process of a run without MPI: every collective leaves its values as they are.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func maximum(_ values: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ values: UnsafeMutableBufferPointer<Int64>) {}
    public func gather(_ mine: UnsafeBufferPointer<Float>, into all: UnsafeMutableBufferPointer<Float>, counts: [Int], offsets: [Int]) {
        precondition(counts.count == 1 && counts[0] == mine.count && offsets.count == 1 && offsets[0] == 0,
                     "LocalCommunicator.gather: one process holds everything")
        _ = all.initialize(from: mine)
    }
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer) {}
    public func any(_ flag: Bool) -> Bool { flag }
}

/// Where a process's `--reduce exact` steps spent their time in collectives, summed over steps.
///
/// `waiting` is the maximum of the bounds (a few floats: its time is almost all waiting for the
/// slowest process to reach it); `reducing` the sum of the integers (the gradient's bytes);
/// `gathering` the gathers of the losses (and norms). The rest of a step is computation. Each
/// layer's sum starts as soon as its gradient tiles are done and runs on while the layers below
/// are computed, so `reducing` counts only the time the step spends in its calls: starting,
/// letting it progress between phases, and waiting for what is left.
public struct ReductionTimes: Sendable, Equatable {
    public var steps = 0
    public var waiting = 0.0
    public var reducing = 0.0
    public var gathering = 0.0
    /// The bytes this process gives the collectives per step (each process gives as many).
    public var bytesPerStep = 0

    public init() {}

    /// The times of the steps since `earlier`.
    public func since(_ earlier: ReductionTimes) -> ReductionTimes {
        var d = self
        d.steps -= earlier.steps
        d.waiting -= earlier.waiting
        d.reducing -= earlier.reducing
        d.gathering -= earlier.gathering
        return d
    }
}
