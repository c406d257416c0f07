#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// SIGINT and SIGTERM during training: the handler only records the signal; the training loop
/// notices it after the step under way, writes the checkpoint and exits. A second signal ends the
/// process at once, saying so on standard error (the last checkpoint written stays as it was).
enum StopSignal {
    /// The signal received, as its number; 0 while none.
    private static let number = Atomic<Int32>(0)

    struct Received: CustomStringConvertible {
        let number: Int32
        var description: String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }
    }

    static var received: Received? {
        let value = number.load(ordering: .relaxed)
        return value == 0 ? nil : Received(number: value)
    }

    static func install() {
        // A process may start with these signals blocked (a parent's mask is inherited across
        // exec); then the handlers would never run.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        // Initialise the atomic now, not lazily inside a handler.
        _ = number.load(ordering: .relaxed)
        for stop in [SIGINT, SIGTERM] {
            signal(stop) { received in
                // Only async-signal-safe calls here: an atomic, write(2) of a static string, _exit.
                let (first, _) = StopSignal.number.compareExchange(expected: 0, desired: received, ordering: .relaxed)
                guard !first else { return }
                let message: StaticString = "\nthinned: second stop signal: exiting at once, without writing a checkpoint (the last one written is intact)\n"
                _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
                _exit(128 + received)
            }
        }
    }
}
