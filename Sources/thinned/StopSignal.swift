import Foundation
import Synchronization

/// SIGINT and SIGTERM during training: the handler only records the signal; the training loop
/// notices it after the step under way, writes the checkpoint and exits. A second signal of the
/// same kind ends the process at once (the handler restores the default).
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
        for signal in [SIGINT, SIGTERM] {
            Glibc.signal(signal) { received in
                StopSignal.number.store(received, ordering: .relaxed)
                Glibc.signal(received, SIG_DFL)
            }
        }
    }
}
