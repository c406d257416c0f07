/// Graham's list scheduling of one fork–join's tasks on `P` identical workers, as the pool runs
/// them: every worker free at time 0 with its own contiguous share of the tasks
/// (`WorkerPool.share`'s split); whenever a worker is free (the earliest first, ties to the
/// lowest-numbered) it takes the next task of its own share, or, when that is empty, the next of
/// the first non-empty share after its own, in turn.
///
/// No worker idles while a task is left, so the makespan M of this schedule satisfies
/// max(Σt/P, max t) ≤ M ≤ Σt/P + (1 − 1/P)·max t (Graham, "Bounds on multiprocessing timing
/// anomalies", SIAM J. Appl. Math. 1969), and summed over the phases of a step it lies within the
/// greedy bounds of `WorkSpan`.
public enum ListSchedule {
    /// The time at which the last of `durations` finishes on `workers` workers taking them as
    /// the pool does (see the type).
    /// - Complexity: O(n (log P + P)) for n tasks: a binary heap of the workers' free times, and
    ///   a look along the shares for a worker whose own is empty.
    public static func makespan(_ durations: some Collection<Double>, workers: Int) -> Double {
        precondition(workers >= 1, "ListSchedule.makespan: \(workers) workers")
        guard !durations.isEmpty else { return 0 }
        if workers == 1 { return durations.reduce(0, +) }
        let tasks = Array(durations), n = tasks.count
        // next[w] ..< end[w]: what is left of worker w's share.
        var next = (0..<workers).map { w in (w * (n / workers)) + min(w, n % workers) }
        let end = (0..<workers).map { w in ((w + 1) * (n / workers)) + min(w + 1, n % workers) }
        var heap = FreeTimes(count: workers)
        var finish = 0.0, taken = 0
        while taken < n {
            let worker = heap.earliestWorker
            var owner = worker
            while next[owner] == end[owner] { owner = (owner + 1) % workers }
            let done = heap.earliest + tasks[next[owner]]
            next[owner] += 1
            taken += 1
            heap.replaceEarliest(with: done)
            finish = max(finish, done)
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
        var earliestWorker: Int { workers[0] }

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
