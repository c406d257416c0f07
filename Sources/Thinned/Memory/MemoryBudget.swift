#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much memory this process may still take, and the check every large allocation makes
/// first: a size read from a file or an option is refused with the bytes it needs and the bytes
/// there are, instead of trapping in the allocator (or being killed) halfway through.
///
/// The budget is the smallest of three limits, each where the system has one: the address space
/// left under `RLIMIT_AS` (`ulimit -v`), the memory left under the process's cgroup limit
/// (`memory.max` of cgroup v2, `memory.limit_in_bytes` of v1), and the machine's physical memory.
/// The mapped bytes and the cgroup are read from `/proc` and `/sys` (Linux); where those files are
/// missing, the address-space limit counts as wholly free and the cgroup as absent.
public enum MemoryBudget {
    /// One limit: its name, as a message shows it, and the bytes left under it.
    public struct Limit: Sendable, Equatable {
        /// What sets the limit, as a message names it: "the cgroup memory limit".
        public let name: String
        /// The bytes left under the limit (for physical memory: all of it, used or not).
        public let bytes: Int
    }

    /// The name of the physical-memory limit, which is a total rather than what is left.
    static let physicalMemory = "the machine's physical memory"

    /// The address-space limit (`RLIMIT_AS`, `ulimit -v`) and the bytes of it this process has
    /// not mapped yet; nil when there is no such limit.
    ///
    /// Every mapping counts, touched or not: thread stacks, malloc arenas, OpenBLAS's buffers.
    /// The corresponding call is `getrlimit(RLIMIT_AS)`; the mapped bytes come from `/proc/self/statm`.
    public static func addressSpace() -> (limitBytes: Int, bytesLeft: Int)? {
        var address = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_AS.rawValue)   // glibc's enum type
        #else
        let resource = RLIMIT_AS
        #endif
        guard getrlimit(resource, &address) == 0, address.rlim_cur < UInt64(Int.max) else { return nil }
        let limit = Int(address.rlim_cur)
        return (limit, max(0, limit - (virtualBytes() ?? 0)))
    }

    /// The tightest limit now in force.
    public static func tightest() -> Limit {
        var limits: [Limit] = []
        if let address = addressSpace() {
            limits.append(Limit(name: "the address-space limit (ulimit -v) of \(address.limitBytes / 1024) KiB",
                                bytes: address.bytesLeft))
        }
        if let cgroup = cgroupBytesLeft() {
            limits.append(Limit(name: "the cgroup memory limit", bytes: cgroup))
        }
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageBytes = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageBytes > 0 {
            let (total, overflow) = pages.multipliedReportingOverflow(by: pageBytes)
            limits.append(Limit(name: physicalMemory, bytes: overflow ? Int.max : total))
        }
        return limits.min { $0.bytes < $1.bytes } ?? Limit(name: "no limit", bytes: Int.max)
    }

    /// Throws unless `bytes` more can be had; `what` names what would be allocated
    /// ("train-images-idx3-ubyte.gz: 8200000 images", "--layers 784,100000000,10").
    public static func require(_ bytes: Int, for what: String) throws(MemoryError) {
        let limit = tightest()
        guard bytes <= limit.bytes else {
            throw .tooLarge(what: what, neededBytes: bytes, availableBytes: limit.bytes, limit: limit.name)
        }
    }

    /// The product of `factors`, or nil when it overflows `Int` or a factor is negative: every
    /// size computed from untrusted numbers goes through here.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// `count × elementBytes` bytes for `count` elements, or `MemoryError.overflow` naming `what`.
    public static func bytes(_ factors: [Int], elementBytes: Int, for what: String) throws(MemoryError) -> Int {
        guard let bytes = product(factors + [elementBytes]) else { throw .overflow(what: what) }
        return bytes
    }

    /// The process's mapped address space, from `/proc/self/statm` (Linux), in bytes.
    static func virtualBytes() -> Int? {
        guard let text = readSmallFile("/proc/self/statm"), let pages = Int(text.split(separator: " ").first ?? "") else {
            return nil
        }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// Bytes left under the cgroup's memory limit, when it has one.
    static func cgroupBytesLeft() -> Int? {
        // cgroup v2: "0::/path" in /proc/self/cgroup names the group under /sys/fs/cgroup.
        if let membership = readSmallFile("/proc/self/cgroup"),
           let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            let folder = "/sys/fs/cgroup" + line.dropFirst(3).trimmingSpaces
            if let limit = readNumber(folder + "/memory.max") {
                return max(0, limit - (readNumber(folder + "/memory.current") ?? 0))
            }
            if let limit = readNumber("/sys/fs/cgroup/memory.max") {
                return max(0, limit - (readNumber("/sys/fs/cgroup/memory.current") ?? 0))
            }
        }
        // cgroup v1 reports "no limit" as a huge number, which the physical memory then undercuts.
        if let limit = readNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes") {
            return max(0, limit - (readNumber("/sys/fs/cgroup/memory/memory.usage_in_bytes") ?? 0))
        }
        return nil
    }

    private static func readNumber(_ path: String) -> Int? {
        readSmallFile(path).flatMap { Int($0.trimmingSpaces) }   // "max" (no limit) is not a number
    }

    /// A small text file of the kernel's (`/proc`, `/sys`), or nil.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard got > 0 else { return nil }
        return String(decoding: buffer[..<got], as: UTF8.self)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

extension String {
    var trimmingSpaces: Substring { self[...].trimmingSpaces }
}
