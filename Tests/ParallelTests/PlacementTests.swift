import Testing
@testable import Parallel

/// Placement on an imaginary machine of 2 packages × 4 cores × 2 PUs (PUs 0-7 in package 0,
/// 8-15 in package 1; core c holds PUs 2c and 2c+1), so that the exact lists can be written down.
@Suite struct PlacementTests {
    static let description = "pack:2 core:4 pu:2"

    func plan(_ threads: Int, _ bind: BindPolicy, _ places: PlaceKind, oversubscribe: Bool = false) throws -> [String] {
        let topology = try Topology(synthetic: Self.description)
        return try topology.plan(threads: threads, bind: bind, places: places, oversubscribe: oversubscribe)
            .workers.map { $0?.description ?? "-" }
    }

    @Test func syntheticMachineShape() throws {
        let topology = try Topology(synthetic: Self.description)
        #expect(!topology.isThisSystem)
        #expect(topology.objects(.package).map(\.cpuSet.description) == ["0-7", "8-15"])
        #expect(topology.objects(.core).count == 8)
        #expect(topology.usableSet == CPUSet(0..<16))
        #expect(topology.defaultThreads(places: .cores) == 8)
        #expect(topology.defaultThreads(places: .threads) == 16)
    }

    @Test(arguments: [
        (1, ["0-1"]),
        (2, ["0-1", "2-3"]),
        (3, ["0-1", "2-3", "4-5"]),
        (8, ["0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15"]),
    ])
    func closeOverCores(threads: Int, expected: [String]) throws {
        #expect(try plan(threads, .close, .cores) == expected)
    }

    @Test(arguments: [
        (1, ["0"]),
        (3, ["0", "1", "2"]),
        (9, ["0", "1", "2", "3", "4", "5", "6", "7", "8"]),
    ])
    func closeOverThreads(threads: Int, expected: [String]) throws {
        #expect(try plan(threads, .close, .threads) == expected)
    }

    @Test(arguments: [
        (1, ["0-1"]),
        (2, ["0-1", "8-9"]),
        (3, ["0-1", "4-5", "8-9"]),
        (4, ["0-1", "4-5", "8-9", "12-13"]),
        (8, ["0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15"]),
    ])
    func spreadOverCores(threads: Int, expected: [String]) throws {
        #expect(try plan(threads, .spread, .cores) == expected)
    }

    @Test(arguments: [
        (2, ["0", "8"]),
        (4, ["0", "4", "8", "12"]),
        (8, ["0", "2", "4", "6", "8", "10", "12", "14"]),
        (16, (0..<16).map(String.init)),
    ])
    func spreadOverThreads(threads: Int, expected: [String]) throws {
        #expect(try plan(threads, .spread, .threads) == expected)
    }

    @Test func aliasesNameTheSamePolicies() {
        #expect(BindPolicy(name: "compact") == .close)
        #expect(BindPolicy(name: "scatter") == .spread)
        #expect(BindPolicy(name: "SPREAD") == .spread)
        #expect(BindPolicy(name: "balanced") == nil)
    }

    @Test func defaultIsOneWorkerPerPlace() throws {
        let topology = try Topology(synthetic: Self.description)
        #expect(try topology.plan(threads: nil, bind: .close, places: .cores).threads == 8)
        #expect(try topology.plan(threads: nil, bind: .spread, places: .threads).threads == 16)
        #expect(try topology.plan(threads: nil, bind: .none, places: .cores).workers == Array(repeating: nil, count: 8))
    }

    @Test func refusesImpossibleRequests() throws {
        let topology = try Topology(synthetic: Self.description)
        #expect(throws: PlacementError.zeroThreads) { try topology.plan(threads: 0, bind: .close, places: .cores) }
        #expect(throws: PlacementError.tooManyThreads(requested: 9, available: 8, places: .cores)) {
            try topology.plan(threads: 9, bind: .spread, places: .cores)
        }
        #expect(throws: PlacementError.tooManyThreads(requested: 17, available: 16, places: .threads)) {
            try topology.plan(threads: 17, bind: .none, places: .cores)
        }
        #expect(throws: TopologyError.badSyntheticDescription("pack:zero")) { try Topology(synthetic: "pack:zero") }
    }

    @Test func oversubscriptionSharesPlaces() throws {
        #expect(try plan(10, .close, .cores, oversubscribe: true)
                == ["0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15", "0-1", "2-3"])
        let spread = try plan(16, .spread, .cores, oversubscribe: true)
        #expect(spread.count == 16)
        #expect(Set(spread).count == 8)
    }
}
