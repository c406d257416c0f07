import Foundation
import Testing
import Parallel

/// `thinned topology` end to end: the built binary, its text, its JSON and its exit status.
@Suite(.serialized) struct TopologyCommandTests {
    @Test func twoSpreadWorkersRunOnTwoDifferentCPUs() throws {
        let topology = try Topology()
        try #require(topology.places(.cores).count >= 2, "needs a machine with two usable cores")
        let report = try ThinnedBinary.json(["topology", "--threads", "2", "--bind", "spread", "--json"])
        let workers = try #require(report["workers"] as? [[String: Any]])
        #expect(workers.count == 2)
        #expect(workers.allSatisfy { $0["verified"] as? Bool == true })
        let cpus = workers.compactMap { $0["cpu"] as? Int }
        #expect(Set(cpus).count == 2)
        #expect(report["verified"] as? Bool == true)
    }

    @Test func textReportProvesThePlan() throws {
        let result = try ThinnedBinary.run(["topology", "--threads", "1"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Usable set: PUs"))
        #expect(result.stdout.contains("Plan: 1 worker, --bind close, --places cores"))
        #expect(result.stdout.contains("All 1 pinned worker run where the plan put them."))
    }

    @Test func tasksetLimitsThePlanToCPU0() throws {
        let report = try ThinnedBinary.json(["topology", "--json"], under: ["taskset", "-c", "0"])
        #expect(report["usableSet"] as? String == "0")
        let plan = try #require(report["plan"] as? [String: Any])
        #expect(plan["threads"] as? Int == 1)
        #expect(plan["workers"] as? [String] == ["0"])
        let workers = try #require(report["workers"] as? [[String: Any]])
        #expect(workers.map { $0["cpu"] as? Int } == [0])
        #expect(report["verified"] as? Bool == true)
    }

    @Test func syntheticMachineFromTheEnvironment() throws {
        let report = try ThinnedBinary.json(["topology", "--threads", "4", "--bind", "scatter", "--json"],
                                            environment: ["HWLOC_SYNTHETIC": "pack:2 core:4 pu:2"])
        #expect(report["isThisSystem"] as? Bool == false)
        let plan = try #require(report["plan"] as? [String: Any])
        #expect(plan["workers"] as? [String] == ["0-1", "4-5", "8-9", "12-13"])
        #expect(plan["bind"] as? String == "spread")
    }

    @Test(arguments: [
        (["topology", "--threads", "0"], "--threads must be at least 1"),
        (["topology", "--threads", "100000"], "pass --oversubscribe"),
        (["topology", "--bind", "sideways"], "'sideways' is invalid for '--bind"),
        (["topology", "--places", "sockets"], "'sockets' is invalid for '--places"),
    ])
    func badInputEndsWithAClearError(arguments: [String], message: String) throws {
        let result = try ThinnedBinary.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr was: \(result.stderr)")
    }

    @Test func oversubscribeWarnsAndRuns() throws {
        let cores = try Topology().places(.cores).count
        let result = try ThinnedBinary.run(["topology", "--threads", "\(cores + 1)", "--oversubscribe"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("--oversubscribe"))
        #expect(result.stdout.contains("(oversubscribed: workers share places)"))
    }
}
