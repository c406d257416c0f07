#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a pool could not be started. The threads already started are stopped and joined before
/// it is thrown.
public enum PoolError: Error, CustomStringConvertible, Equatable {
    /// The plan cannot be made (zero threads, more than the usable set without oversubscription).
    case placement(PlacementError)
    /// The system refused a thread: `started` workers of `requested` were running;
    /// `errno` is `pthread_create`'s answer (EAGAIN: a limit on threads, or no memory for a stack).
    case threadUnavailable(started: Int, requested: Int, errno: Int32)
    /// A worker's scratch memory could not be allocated.
    case scratchUnavailable(worker: Int, bytes: Int)

    /// The message `thinned` prints: the placement's own message, or which worker the system refused
    /// and why, with the advice to use fewer `--threads`.
    public var description: String {
        switch self {
        case let .placement(error):
            return error.description
        case let .threadUnavailable(started, requested, code):
            return "could not start worker thread \(started + 1) of \(requested): pthread_create failed: "
                + "\(String(cString: strerror(code))) (errno \(code)); \(started) had started (each needs a "
                + "stack; see ulimit -u and ulimit -v). Use fewer --threads"
        case let .scratchUnavailable(worker, bytes):
            return "worker \(worker) could not allocate its \(bytes) bytes of scratch memory; use fewer --threads"
        }
    }
}
