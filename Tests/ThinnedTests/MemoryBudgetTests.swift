import Testing
import Foundation
@testable import Thinned

/// What `MemoryBudget` reads and how a refusal words each limit.
@Suite(.serialized) struct MemoryBudgetTests {
    /// Physical memory is a total: the message says the machine has it, not that it leaves it;
    /// the limits that are what is left keep "leaves".
    @Test func physicalMemoryIsWordedAsATotal() {
        let physical = MemoryError.tooLarge(what: "--layers 784,100000000,10", neededBytes: 1_552_001_111_760,
                                            availableBytes: 25_276_502_016, limit: MemoryBudget.physicalMemory)
        #expect(physical.description == "--layers 784,100000000,10: needs 1.6 TB (1552001111760 bytes), but the machine has 25.3 GB (25276502016 bytes) of physical memory")
        let cgroup = MemoryError.tooLarge(what: "x", neededBytes: 2000, availableBytes: 1000, limit: "the cgroup memory limit")
        #expect(cgroup.description == "x: needs 2.0 kB (2000 bytes), but the cgroup memory limit leaves 1.0 kB (1000 bytes)")
    }

    /// Under a finite `RLIMIT_AS`, `addressSpace()` reports it and what the process has not yet
    /// mapped. The limit set here is 64 GiB above what is mapped, so
    /// that the suites running beside this one keep all the room they had in practice.
    @Test func addressSpaceReadsTheLimitAndWhatIsLeft() throws {
        var saved = rlimit()
        try #require(getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &saved) == 0)
        let mapped = try #require(MemoryBudget.virtualBytes())
        let headroom = 64 << 30
        try #require(saved.rlim_cur > UInt64(mapped + headroom), "already limited to \(saved.rlim_cur) bytes")
        var limited = saved
        limited.rlim_cur = rlim_t(mapped + headroom)
        try #require(setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limited) == 0)
        defer { _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &saved) }

        let address = try #require(MemoryBudget.addressSpace())
        #expect(address.limitBytes == mapped + headroom)
        // Other suites map and unmap meanwhile: allow them 1 GiB either way.
        #expect(abs(address.bytesLeft - headroom) < 1 << 30, "\(address.bytesLeft) bytes left of \(headroom)")
    }
}
