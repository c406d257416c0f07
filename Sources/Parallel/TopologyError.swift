#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why hwloc could not describe or bind this machine. Each case is a degraded mode, not a crash:
/// the pool then runs unpinned and says so once.
public enum TopologyError: Error, CustomStringConvertible, Equatable {
    /// An hwloc call failed; `errno` explains it.
    case hwloc(call: String, errno: Int32)
    /// The synthetic topology description was not understood by hwloc.
    case badSyntheticDescription(String)
    /// The topology does not describe the machine we run on (synthetic or XML), so threads
    /// cannot be bound through it.
    case notThisSystem

    /// A one-line explanation for the user: the failed call with `strerror`'s text and `errno`, or
    /// what is wrong with the topology.
    public var description: String {
        switch self {
        case let .hwloc(call, code):
            return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case let .badSyntheticDescription(text):
            return "hwloc does not understand the synthetic topology '\(text)' (expected e.g. 'pack:2 core:4 pu:2')"
        case .notThisSystem:
            return "the topology is not this machine's (synthetic or XML), so threads cannot be bound with it"
        }
    }

    /// Checks the return code of an hwloc call: negative means failure, with the reason in errno.
    /// Every hwloc call that returns a status goes through here.
    @discardableResult
    static func check(_ result: Int32, _ call: String) throws(TopologyError) -> Int32 {
        if result < 0 { throw .hwloc(call: call, errno: errno) }
        return result
    }
}
