import Testing
#if canImport(Glibc)
import Glibc
#endif
import Parallel

/// `Clock`, the program's one monotonic clock.
@Suite struct ClockTests {
    /// `seconds()` holds the clock's seconds and nanoseconds in one Double: about 10⁶ s of uptime
    /// leave it a resolution near 10⁻¹⁰ s, so a microsecond is far more than rounding.
    static let roundingSeconds = 1e-6

    @Test func readingsNeverGoBack() {
        let readings = (0..<10_000).map { _ in Clock.nanoseconds() }
        #expect(zip(readings, readings.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func secondsAndNanosecondsReadTheSameClock() {
        let before = Clock.nanoseconds()
        let seconds = Clock.seconds()
        let after = Clock.nanoseconds()
        #expect(Double(before) * 1e-9 - Self.roundingSeconds <= seconds)
        #expect(seconds <= Double(after) * 1e-9 + Self.roundingSeconds)
    }

    @Test func aSleepIsMeasuredAtLeastAsLongAsItWas() {
        let start = Clock.nanoseconds()
        usleep(2_000)
        #expect(Clock.nanoseconds() - start >= 2_000_000)
    }
}
