#if canImport(Glibc)
import Glibc
#endif

/// The monotonic clock, in seconds: a vDSO call (tens of nanoseconds), cheap enough to read
/// around every task of a step.
enum Clock {
    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
