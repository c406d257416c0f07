/// Graham's list scheduling of one fork–join's tasks on `P` identical workers, as the pool runs
/// them: every worker free at time 0, tasks taken in index order (the pool's workers claim them
/// from a shared counter, in index order), each by the worker that becomes free first.
///
/// The makespan M of a list schedule satisfies max(Σt/P, max t) ≤ M ≤ Σt/P + (1 − 1/P)·max t
/// (Graham, "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math. 1969), so summed
/// over the phases of a step it lies within the greedy bounds of `WorkSpan`.
public enum ListSchedule {
    /// The time at which the last of `durations` finishes when `workers` workers take them in
    /// order, each task by the earliest-free worker (ties to the lowest-numbered worker).
    /// - Complexity: O(n log P) for n tasks, with a binary heap of the workers' free times.
    public static func makespan(_ durations: some Collection<Double>, workers: Int) -> Double {
        precondition(workers >= 1, "ListSchedule.makespan: \(workers) workers")
        guard !durations.isEmpty else { return 0 }
        if workers == 1 { return durations.reduce(0, +) }
        var heap = FreeTimes(count: min(workers, durations.count))
        var finish = 0.0
        for duration in durations {
            let end = heap.earliest + duration
            heap.replaceEarliest(with: end)
            finish = max(finish, end)
        }
        return finish
    }

    /// A binary min-heap of the workers' free times, ordered by (time, worker): only the earliest
    /// is ever taken, and it is replaced by its new free time.
    private struct FreeTimes {
        private var times: [Double]
        private var workers: [Int]

        init(count: Int) {
            times = Array(repeating: 0, count: count)
            workers = Array(0..<count)
        }

        var earliest: Double { times[0] }

        mutating func replaceEarliest(with time: Double) {
            times[0] = time
            var i = 0
            while true {
                let left = 2 * i + 1, right = left + 1
                var smallest = i
                if left < times.count, precedes(left, smallest) { smallest = left }
                if right < times.count, precedes(right, smallest) { smallest = right }
                guard smallest != i else { return }
                times.swapAt(i, smallest)
                workers.swapAt(i, smallest)
                i = smallest
            }
        }

        private func precedes(_ a: Int, _ b: Int) -> Bool {
            times[a] < times[b] || (times[a] == times[b] && workers[a] < workers[b])
        }
    }
}
