#if canImport(Glibc)
import Glibc
#endif

/// The monotonic clock of the whole program: the pool's spin-waits, the step profile and the
/// scaling study all read it. It is `clock_gettime(CLOCK_MONOTONIC)`, a vDSO call of about 25 ns,
/// cheap enough to read around every task of a step.
///
/// Not Swift's `ContinuousClock`: in a release build on Linux its `now` costs about 1.5–2 times
/// as much per call, and turning its `Duration` into nanoseconds or seconds as much again
/// (measured for issue 10: 23 ns for `nanoseconds()`, 38–51 ns for `ContinuousClock.now`, 48–66 ns
/// for `now` in seconds). Inside a module that imports `Parallel`, `Clock` names this enum, not
/// the standard library's `Clock` protocol (spell that `_Concurrency.Clock`).
public enum Clock {
    /// Nanoseconds since an unspecified fixed point (the boot); never decreases.
    @inlinable
    public static func nanoseconds() -> UInt64 {
        let time = now()
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Seconds since the same point as `nanoseconds()`.
    @inlinable
    public static func seconds() -> Double {
        let time = now()
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// The one reading of the clock. The corresponding POSIX call is `clock_gettime` with
    /// `CLOCK_MONOTONIC`, which cannot fail for that clock on Linux.
    @usableFromInline
    static func now() -> timespec {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time
    }
}
