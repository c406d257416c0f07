import Testing
import Foundation

/// Many workers, under an address-space limit and on few cores: an error with a message, or a
/// run that finishes — never a trap, never a hang. Every run is bounded by `timeout`, so a hang
/// fails the test instead of holding up the suite.
@Suite(.serialized) struct PoolLimitCommandTests {
    static let tiny = ["train", "--data", "synthetic", "--layers", "784,32,10", "--epochs", "1"]
    /// The issue's limit: `ulimit -v 4000000` (KiB).
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

    /// The maximum a refusal states is one that works: each worker's own thread (its stack and
    /// malloc arena) counts besides its OpenBLAS buffer, so the stated count starts, passes the
    /// checks of the running pool and trains; one more is refused (the refusal used to say 28,
    /// and `--threads 28` then said 18).
    @Test func theStatedMaximumTrainsAndOneMoreIsRefused() throws {
        let refusal = try Self.run(Self.tiny + ["--threads", "500", "--oversubscribe"],
                                   addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        let stated = try #require(Self.number(after: "at most ", in: refusal.stderr), "\(refusal.stderr)")
        try #require(stated >= 1, "\(refusal.stderr)")

        let most = try Self.run(Self.tiny + ["--threads", "\(stated)", "--oversubscribe"],
                                addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(most.status == 0, "--threads \(stated): exit \(most.status): \(most.stderr)")
        #expect(most.stdout.contains("epoch 1"), "\(most.stdout)")

        let more = try Self.run(Self.tiny + ["--threads", "\(stated + 1)", "--oversubscribe"],
                                addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(more.status == 1, "--threads \(stated + 1): exit \(more.status): \(more.stderr)")
        #expect(more.stderr.contains("--threads \(stated + 1): expected at most \(stated) workers"), "\(more.stderr)")
    }

    /// When not even one worker fits, fewer `--threads` cannot help: the refusal names the
    /// address-space limit, not an option the user never gave, and says how far to raise it —
    /// and under that limit the same run trains. With and without `--threads`: the pool is then
    /// checked before it starts, or once it runs.
    @Test(arguments: [[], ["--threads", "1"]])
    func noRoomForOneWorkerSaysHowFarToRaiseTheLimit(threads: [String]) throws {
        // A limit that starts the program and loads the data, but leaves no room for a worker's
        // stack, malloc arena and 128 MiB OpenBLAS buffer besides. Where that window lies
        // depends on the binary's own mappings (the program alone took about 260 MB with all of
        // Foundation, about 220 MB without), so it is searched for from above: higher, the run
        // trains; lower, the program cannot load the data.
        var found: (limit: Int, result: ThinnedBinary.Result)?
        var outcomes: [String] = []
        for limit in stride(from: 550_000, through: 250_000, by: -25_000) {
            let result = try Self.run(Self.tiny + threads, addressLimitKiB: limit, seconds: 120)
            if result.stderr.contains("ulimit -v \(limit): expected room for at least one worker") {
                found = (limit, result)
                break
            }
            #expect(result.status != 137, "ulimit -v \(limit): killed after 120 s")
            outcomes.append("\(limit) KiB: exit \(result.status) \(result.stderr.split(separator: "\n").first ?? "")")
        }
        let (tight, refusal) = try #require(found, "no limit gave the one-worker refusal: \(outcomes)")
        #expect(refusal.status == 1, "exit \(refusal.status): \(refusal.stderr)")
        #expect(refusal.stderr.contains("ulimit -v \(tight): expected room for at least one worker"), "\(refusal.stderr)")
        #expect(!refusal.stderr.contains("fewer --threads") && !refusal.stderr.contains("at most 0"), "\(refusal.stderr)")
        let needed = try #require(Self.number(after: " need", in: refusal.stderr, skippingTo: " "), "\(refusal.stderr)")
        let left = try #require(Self.number(after: "the limit leaves ", in: refusal.stderr), "\(refusal.stderr)")
        #expect(needed > left, "\(refusal.stderr)")
        let raised = try #require(Self.number(after: "raise ulimit -v to at least ", in: refusal.stderr), "\(refusal.stderr)")
        #expect(raised > tight, "\(refusal.stderr)")

        let run = try Self.run(Self.tiny + threads, addressLimitKiB: raised, seconds: 120)
        #expect(run.status == 0, "ulimit -v \(raised): exit \(run.status): \(run.stderr)")
        #expect(run.stdout.contains("epoch 1"), "\(run.stdout)")
    }

    /// The decimal number that follows the first `marker` in `text` (after `skippingTo`, when
    /// given: the number starts after the next occurrence of it).
    static func number(after marker: String, in text: String, skippingTo separator: String? = nil) -> Int? {
        guard var rest = text.range(of: marker).map({ text[$0.upperBound...] }) else { return nil }
        if let separator, let range = rest.range(of: separator) { rest = rest[range.upperBound...] }
        return Int(rest.prefix { $0.isNumber })
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

    /// `thinned scale` checks its largest pool before measuring the smaller ones (it used to fail
    /// only after the 1-worker row).
    @Test func scaleChecksItsLargestPoolFirst() throws {
        let result = try Self.run(["scale", "--layers", "784,32,10", "--steps", "3", "--warmup", "1", "--repeat", "1",
                                   "--threads", "1,500", "--oversubscribe", "--out", NSTemporaryDirectory() + "thinned-scale-\(UUID().uuidString)"],
                                  addressLimitKiB: Self.addressLimitKiB, seconds: 120)
        #expect(result.status == 1, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--threads 500"), "\(result.stderr)")
        #expect(!result.stdout.contains("roofline"), "it measured first: \(result.stdout)")
    }
}
