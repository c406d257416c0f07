import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Parallel

/// `WorkerPool.start`, the one way to start a pool: what it plans, and what it reports when the
/// plan cannot be carried out. Serialized: it pins threads.
@Suite(.serialized) struct PoolStartTests {
    /// An imaginary machine: it can be planned on, but no thread can be bound through it.
    static let synthetic = "pack:1 core:2 pu:1"
    /// What a machine hwloc cannot describe hands to `start`.
    static let unloadable = TopologyError.hwloc(call: "hwloc_topology_load", errno: ENOSYS)

    @Test func onThisMachineEveryWorkerIsPinnedAsPlanned() throws {
        let topology = try Topology()
        try #require(topology.isThisSystem)
        let start = try WorkerPool.start(threads: nil, bind: .close, places: .cores, topology: .success(topology))
        #expect(start.plan == (try topology.plan(threads: nil, bind: .close, places: .cores)))
        #expect(start.topology === topology)
        #expect(start.fallback == nil)
        #expect(start.isPinned && start.pinnedWorkers == start.pool.count)
    }

    @Test func loadsTheTopologyWhenNoneIsHandedIn() throws {
        let start = try WorkerPool.start(threads: 1, bind: .close, places: .threads)
        let topology = try #require(start.topology)
        #expect(start.plan.workers == [topology.places(.threads)[0]])
        #expect(start.fallback == nil && start.isPinned)
    }

    @Test func bindNoneIsNotAFallback() throws {
        let start = try WorkerPool.start(threads: 2, bind: .none, places: .cores)
        #expect(start.plan == .unpinned(threads: 2))
        #expect(start.fallback == nil)
        #expect(!start.isPinned && start.pinnedWorkers == 0)
    }

    @Test func aSyntheticTopologyIsPlannedButNotBound() throws {
        let topology = try Topology(synthetic: Self.synthetic)
        let start = try WorkerPool.start(threads: 2, bind: .close, places: .cores, topology: .success(topology))
        #expect(start.plan.workers == [CPUSet([0]), CPUSet([1])])
        #expect(start.fallback == .bindingFailed(workers: 2, reason: .notThisSystem))
        #expect(!start.isPinned && start.pinnedWorkers == 0)
        var ran = [false, false]
        ran.withUnsafeMutableBufferPointer { flags in start.pool.broadcast { flags[$0.index] = true } }
        #expect(ran == [true, true])
    }

    @Test(arguments: [BindPolicy.none, .close, .spread])
    func withoutATopologyEveryWorkerRunsUnpinned(bind: BindPolicy) throws {
        let start = try WorkerPool.start(threads: 3, bind: bind, places: .threads, oversubscribe: true,
                                         topology: .failure(Self.unloadable))
        #expect(start.topology == nil)
        #expect(start.fallback == .noTopology(Self.unloadable))
        #expect(start.plan.bind == .none && start.plan.places == .threads && start.plan.threads == 3)
        #expect(start.pool.bindings.allSatisfy { $0.requested == nil && $0.failure == nil })
        #expect(!start.isPinned)
    }

    @Test func withoutATopologyTheDefaultIsOneWorkerPerOnlineCPU() throws {
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let start = try WorkerPool.start(threads: nil, bind: .close, places: .cores, topology: .failure(Self.unloadable))
        #expect(start.pool.count == online)
        #expect(!start.plan.oversubscribed)
    }

    @Test func requestsThatCannotBeMetThrowPlacementErrors() throws {
        let topology = try Topology(synthetic: Self.synthetic)
        #expect(throws: PoolError.placement(.zeroThreads)) {
            try WorkerPool.start(threads: 0, bind: .close, places: .cores, topology: .success(topology))
        }
        #expect(throws: PoolError.placement(.tooManyThreads(requested: 3, available: 2, places: .cores))) {
            try WorkerPool.start(threads: 3, bind: .close, places: .cores, topology: .success(topology))
        }
        #expect(throws: PoolError.placement(.zeroThreads)) {
            try WorkerPool.start(threads: 0, bind: .close, places: .cores, topology: .failure(Self.unloadable))
        }
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        #expect(throws: PoolError.placement(.tooManyThreads(requested: online + 1, available: online, places: .threads))) {
            try WorkerPool.start(threads: online + 1, bind: .close, places: .cores, topology: .failure(Self.unloadable))
        }
    }

    @Test func oversubscriptionIsPlannedAndReported() throws {
        let topology = try Topology(synthetic: Self.synthetic)
        let start = try WorkerPool.start(threads: 3, bind: .close, places: .cores, oversubscribe: true,
                                         topology: .success(topology))
        #expect(start.plan.oversubscribed)
        #expect(start.plan.workers == [CPUSet([0]), CPUSet([1]), CPUSet([0])])
    }
}
