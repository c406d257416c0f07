import Parallel

/// Collects a `StepProfile` while steps run: one slot per worker and phase, each written only by
/// its worker, read by the caller after the join.
final class Profiler {
    enum Phase: Int, CaseIterable { case forward, backward, parameter, update }
    /// `Phase.allCases.count`, as a constant: `allCases` builds an array on each use.
    static let phaseCount = 4

    let workers: Int
    private let busy: UnsafeMutablePointer<Double>
    private var forkJoinSeconds = 0.0
    private var forkJoins = 0

    init(workers: Int) {
        self.workers = workers
        busy = .allocate(capacity: workers * Self.phaseCount)
        busy.initialize(repeating: 0, count: workers * Self.phaseCount)
    }

    deinit { busy.deallocate() }

    /// Adds `seconds` of busy time in `phase` to `worker`'s slot. Called on that worker.
    func add(_ phase: Phase, worker: Int, seconds: Double) {
        busy[worker * Self.phaseCount + phase.rawValue] += seconds
    }

    /// Runs `body`, timed, as one fork–join. Called on the calling thread.
    func forkJoin(_ body: () -> Void) {
        let start = Clock.seconds()
        body()
        forkJoinSeconds += Clock.seconds() - start
        forkJoins += 1
    }

    func reset() {
        busy.update(repeating: 0, count: workers * Self.phaseCount)
        forkJoinSeconds = 0
        forkJoins = 0
    }

    /// The totals so far, for `steps` steps that took `wallSeconds`.
    func profile(steps: Int, wallSeconds: Double) -> StepProfile {
        var profile = StepProfile(workers: workers)
        func total(_ phase: Phase) -> Double {
            (0..<workers).reduce(0) { $0 + busy[$1 * Self.phaseCount + phase.rawValue] }
        }
        profile.steps = steps
        profile.wallSeconds = wallSeconds
        profile.forkJoinSeconds = forkJoinSeconds
        profile.forkJoins = forkJoins
        profile.forwardSeconds = total(.forward)
        profile.backwardSeconds = total(.backward)
        profile.parameterSeconds = total(.parameter)
        profile.updateSeconds = total(.update)
        return profile
    }
}
