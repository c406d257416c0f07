import Testing
import Foundation

/// Many workers, under an address-space limit and on few cores: an error with a message, or a
/// run that finishes — never a trap, never a hang. Every run is bounded by `timeout`, so a hang
/// fails the test instead of holding up the suite.
@Suite(.serialized) struct PoolLimitCommandTests {
    static let tiny = ["train", "--data", "synthetic", "--layers", "784,32,10", "--epochs", "1"]
    /// The limit: `ulimit -v 4000000` (KiB).
    static let addressLimitKiB = 4_000_000

    /// Runs `thinned arguments…` under `ulimit -v` (when given), killed after `seconds`.
    static func run(_ arguments: [String], addressLimitKiB: Int?, seconds: Int) throws -> ThinnedBinary.Result {
        let limit = addressLimitKiB.map { "ulimit -v \($0); " } ?? ""
        return try ThinnedBinary.run(arguments, under: ["timeout", "-s", "KILL", "\(seconds)",
                                                       "sh", "-c", limit + "exec \"$0\" \"$@\""])
    }

    /// 500 workers' stacks do not fit in 4 GB of address space: the pool says so (it used to trap
    /// on a precondition in `WorkerPool.init`). `thinned topology` starts the pool alone; `train`
    /// refuses the count before starting it, since OpenBLAS could not serve that many workers.
    @Test func threadsThatCannotBeHadAreAnError() throws {
        var result = try Self.run(["topology", "--threads", "500", "--oversubscribe"],
                                  addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("could not start worker thread"), "\(result.stderr)")
        #expect(result.stderr.contains("of 500") && result.stderr.contains("fewer --threads"), "\(result.stderr)")

        result = try Self.run(Self.tiny + ["--threads", "500", "--oversubscribe"],
                              addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--threads 500") && result.stderr.contains("fewer --threads"), "\(result.stderr)")
    }

    /// 300 workers fit, but their OpenBLAS buffers do not (128 MiB of address space each): the
    /// run is refused before its first step (it used to hang in OpenBLAS's buffer allocation).
    @Test func moreWorkersThanOpenBLASCanServeAreRefused() throws {
        let result = try Self.run(Self.tiny + ["--threads", "300", "--oversubscribe"],
                                  addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(result.status != 0 && result.status != 137, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--threads 300") && result.stderr.contains("OpenBLAS"), "\(result.stderr)")
        #expect(!result.stdout.contains("epoch 1"), "\(result.stdout)")
    }

    /// Far more workers than cores: the run finishes (on 2 busy cores the old protocol, where
    /// every fork–join waited for all 300 workers, took 14–20 s for this epoch, now 1–2 s; the
    /// protocol itself is checked by `PoolProtocolTests.joinWaitsForTasksNotForALateWorker`).
    @Test func oversubscribedEpochFinishes() throws {
        let result = try Self.run(Self.tiny + ["--threads", "300", "--oversubscribe", "--limit", "2000", "--batch", "100"],
                                  addressLimitKiB: nil, seconds: 240)
        #expect(result.status == 0, "exit \(result.status): \(result.stderr)")
        #expect(result.stdout.contains("epoch 1"), "\(result.stdout)")
    }
}
