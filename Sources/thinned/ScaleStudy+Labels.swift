import Parallel
import Thinned

extension ScaleStudy.Series {
    /// How the series ran, as the table and the plot name it: `--bind close` for the pool,
    /// `dispatch (unpinned)` for GCD's threads, which no bind policy places.
    var runLabel: String {
        executor == .pool ? "--bind \(bind.rawValue)" : "dispatch (unpinned)"
    }
}
