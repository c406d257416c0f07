#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock of the whole program: the pool's spin-waits, the step profile and the
/// scaling study all read it. It is `clock_gettime(CLOCK_MONOTONIC)`, a vDSO call of about 25 ns,
/// cheap enough to read around every task of a step.
///
/// Not Swift's `ContinuousClock`, which costs more on the pool's hot path: in a release build
/// on Linux x86-64, 5 million calls in a tight loop took 23 ns each for `nanoseconds()` and
/// 28 ns for `seconds()`, but 38 ns for `ContinuousClock.now` alone and 48–53 ns once its
/// `Duration` is turned into seconds or nanoseconds.
///
/// In a module that imports `Parallel`, `Clock` names this enum rather than the standard
/// library's `Clock` protocol, which is then spelled `_Concurrency.Clock`.
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
