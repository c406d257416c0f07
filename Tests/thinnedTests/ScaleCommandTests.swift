import Foundation
import Testing
import Parallel
import Thinned
@testable import thinned

/// `thinned scale` end to end on synthetic data: the table, the three files, identical digests.
@Suite(.serialized) struct ScaleCommandTests {
    /// A small model, few steps, and 1 MiB triad arrays (the default, 4 × the last-level cache,
    /// streams gigabytes: too slow for a debug build).
    static let small = ["scale", "--layers", "784,32,10", "--steps", "3", "--warmup", "1", "--repeat", "1", "--stream-array-mib", "1"]

    static func temporaryFolder() -> String { NSTemporaryDirectory() + "thinned-scale-\(UUID().uuidString)" }

    @Test func writesCSVJSONAndSVGWithIdenticalDigests() throws {
        let cores = try Topology().places(.cores).count
        try #require(cores >= 2, "needs two usable cores")
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1,2", "--batch", "32", "--bind", "close,spread", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("roofline"))
        #expect(result.stdout.contains("Amdahl fit, batch 32, --bind close"))
        #expect(result.stdout.contains("digests: identical across all thread counts and policies"))

        let csv = try String(contentsOfFile: out + "/scale.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5)
        #expect(csv[0].hasPrefix("batch,bind,threads,median_ms"))
        let digests = Set(csv.dropFirst().map { $0.split(separator: ",").last! })
        #expect(digests.count == 1)
        // Empty fields (Karp–Flatt is blank for one worker) must keep their column.
        let rows = csv.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows[0][17] == "allocations_per_step")
        let allocations = rows.dropFirst().map { Double($0[17])! }
        // A steady-state step allocates nothing, in this debug build as in a release build.
        #expect(allocations.allSatisfy { $0 == 0 }, "allocations per step: \(allocations)")

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/scale.json"))) as? [String: Any])
        #expect(json["identical"] as? Bool == true)
        let report = try #require(json["report"] as? [String: Any])
        #expect((report["rows"] as? [[String: Any]])?.count == 4)
        #expect((report["rooflines"] as? [[String: Any]])?.first?["gigaflopsPerCore"] as? Double ?? 0 > 0)

        let svg = try String(contentsOfFile: out + "/scale.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("Speedup vs cores") && svg.contains("</svg>"))
        #expect(svg.contains("<polyline") && svg.contains("<circle"))
    }

    /// `--predict`: the work/span table, the roofs, and the files that hold them, with work ≥
    /// span > 0 and the parallelism their ratio.
    @Test func predictReportsWorkSpanAndRoofs() throws {
        let cores = try Topology().places(.cores).count
        try #require(cores >= 2, "needs two usable cores")
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1,2", "--batch", "32", "--predict", "4,8", "--optimizer", "adam",
                                                         "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("memory roof: STREAM triad a[i] = b[i] + 3·c[i] on each pool, 3 Float arrays of 1 MiB"))
        #expect(result.stdout.contains("roofs on 2 workers: compute"))
        #expect(result.stdout.contains("work/span, batch 32, --bind close: tasks measured on 1 worker, 3 steps"))
        #expect(result.stdout.contains("time ") && result.stdout.contains("vs bytes/bandwidth"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/scale.json"))) as? [String: Any])
        let report = try #require(json["report"] as? [String: Any])
        let workSpans = try #require(report["workSpans"] as? [[String: Any]])
        #expect(workSpans.count == 1)
        let w = try #require(workSpans.first)
        let work = try #require(w["workSeconds"] as? Double), span = try #require(w["spanSeconds"] as? Double)
        let parallelism = try #require(w["parallelism"] as? Double)
        #expect(work >= span && span > 0)
        #expect(abs(parallelism - work / span) <= 1e-9 * parallelism)
        #expect(w["baseWorkers"] as? Int == 1 && w["steps"] as? Int == 3)
        let predictions = try #require(w["predictions"] as? [[String: Any]])
        #expect(predictions.compactMap { $0["workers"] as? Int } == [1, 2, 4, 8])
        for p in predictions {
            let predicted = try #require(p["predictedSeconds"] as? Double), lower = try #require(p["lowerBoundSeconds"] as? Double)
            let burdened = try #require(p["burdenedUpperBoundSeconds"] as? Double)
            #expect(predicted > 0 && lower <= burdened && predicted <= burdened * (1 + 1e-12))
            // Measured counts carry the measurement and the error; the others do not.
            let measured = [1, 2].contains(p["workers"] as? Int ?? 0)
            #expect((p["measuredSeconds"] as? Double != nil) == measured && (p["error"] as? Double != nil) == measured)
        }
        let join = try #require(w["joinCost"] as? [String: Any])
        // Each measured count at every task length of the grid.
        #expect((join["points"] as? [[String: Any]])?.count == 2 * JoinCost.taskLengths.count)
        // The contention is measured on the 2-worker pool; the contended replay is there for every count.
        #expect((w["contention"] as? [[String: Any]])?.compactMap { $0["workers"] as? Int } == [2])
        #expect(predictions.allSatisfy { ($0["contendedSeconds"] as? Double ?? 0) > 0 && ($0["slowdown"] as? Double ?? 0) > 0 })

        let bandwidths = try #require(report["bandwidths"] as? [[String: Any]])
        #expect(bandwidths.count == 2)
        #expect(bandwidths.allSatisfy { ($0["bandwidth"] as? [String: Any])?["gigabytesPerSecond"] as? Double ?? 0 > 0 })
        let roofs = try #require(report["phaseRoofs"] as? [[String: Any]])
        #expect(roofs.count == 2)
        let phases = try #require(roofs.first?["phases"] as? [[String: Any]])
        #expect(phases.compactMap { $0["phase"] as? String } == ["forward", "backward", "parameter", "update"])
        // Adam streams 24 bytes per parameter: 784·32 + 32 + 32·10 + 10 = 25 450 parameters.
        #expect(phases.last?["bytes"] as? Double == 24.0 * 25_450)

        let csv = try String(contentsOfFile: out + "/scale.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let bandwidth = try #require(csv[0].firstIndex(of: "bandwidth_gb_s"))
        let ratio = try #require(csv[0].firstIndex(of: "update_bandwidth_ratio"))
        #expect(csv[0].last == "weights_sha256" && csv.count == 3)
        #expect(csv.dropFirst().allSatisfy { (Double($0[bandwidth]) ?? 0) > 0 && (Double($0[ratio]) ?? 0) > 0 })

        let predicted = try String(contentsOfFile: out + "/scale-predictions.csv", encoding: .utf8).split(separator: "\n")
        #expect(predicted.count == 5 && predicted[0].hasPrefix("batch,bind,base_workers,workers,work_ms,span_ms,parallelism"))

        // The host's stalls, probed on the base pool (1 worker, 0.2 s): printed, in scale.json,
        // and in every row of scale-predictions.csv as the rates and the per-step time they imply.
        #expect(result.stdout.contains("host stalls (1 worker reading the clock for 0.2 s each, gaps over 5.0 µs): "))
        let stalls = try #require(w["hostStalls"] as? [String: Any])
        let probed = try #require(stalls["probedSeconds"] as? Double), count = try #require(stalls["count"] as? Int)
        let stalled = try #require(stalls["stalledSeconds"] as? Double)
        #expect(stalls["workers"] as? Int == 1 && probed >= 0.2 && probed < 1 && stalled >= 0 && stalled < probed)
        let table = predicted.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = table[0]
        #expect(table.allSatisfy { $0.count == header.count })
        let perSecond = try #require(header.firstIndex(of: "host_stalls_per_second"))
        let mean = try #require(header.firstIndex(of: "host_stall_mean_us")), perStep = try #require(header.firstIndex(of: "stall_us_per_step"))
        for row in table.dropFirst() {
            // Each as written: one, two and two decimals.
            #expect(abs(Double(row[perSecond])! - Double(count) / probed) <= 0.05 + 1e-9, "\(row)")
            #expect(abs(Double(row[mean])! - (count > 0 ? stalled / Double(count) * 1e6 : 0)) <= 0.005 + 1e-9, "\(row)")
            #expect(abs(Double(row[perStep])! - stalled / probed * work * 1e6) <= 0.005 + 1e-9, "\(row)")
        }
        let svg = try String(contentsOfFile: out + "/scale.svg", encoding: .utf8)
        #expect(svg.contains("Measured and predicted speedup (work/span)") && svg.contains("<polygon"))
    }

    /// The stalls are probed on the series' base pool, whatever its worker count, except where
    /// its workers take turns on the CPUs: two workers on one CPU (`taskset -c 0`,
    /// `--oversubscribe`) are not probed, two workers on two CPUs are, side by side.
    @Test func stallsAreProbedOnTheBasePoolUnlessItIsCrowded() throws {
        for (prefix, probed) in [(["taskset", "-c", "0"], false), ([], true)] {
            if probed { try #require(try Topology().places(.cores).count >= 2, "needs two usable cores") }
            let out = Self.temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: out) }
            let result = try ThinnedBinary.run(Self.small + ["--threads", "2", "--batch", "32", "--oversubscribe", "--out", out],
                                               under: prefix)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("work/span, batch 32, --bind close: tasks measured on 2 workers"))
            #expect(result.stdout.contains("host stalls (2 workers reading the clock for 0.2 s each") == probed, "\(prefix)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/scale.json"))) as? [String: Any])
            let w = try #require(((json["report"] as? [String: Any])?["workSpans"] as? [[String: Any]])?.first)
            #expect((w["hostStalls"] as? [String: Any])?["workers"] as? Int == (probed ? 2 : nil), "\(prefix)")
        }
    }

    /// The CSV's stall columns from a hand-made probe: 90 stalls of 20 µs in 0.3 s (300 a second,
    /// 0.6 % of the time) charged to a work T₁ of 19 s (114 000 µs); none without a probe.
    @Test func stallColumnsAreInTheirUnits() throws {
        let log = TaskLog(phaseTasks: [5, 1], taskSeconds: [3, 3, 2, 2, 2, 4], taskStartSeconds: [0, 0, 3, 3, 5, 0],
                          forkJoinSeconds: [12.5, 4.5], stepSeconds: [20])
        let joins = JoinCost(points: [.init(workers: 1, taskSeconds: 0, seconds: 0.5)])
        let stalls = HostStalls(workers: 2, probedSeconds: 0.3, thresholdSeconds: 5e-6, count: 90, stalledSeconds: 90 * 20e-6,
                                longestSeconds: 1e-4)
        let probed = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins, predict: [],
                                                   measured: [], hostStalls: stalls))
        #expect(ScaleFiles.stallFields(probed) == ["300.0", "20.00", "114000.00"])
        let unprobed = try #require(WorkSpan.analyze(batch: 10, bind: .close, baseWorkers: 1, base: log, joinCost: joins, predict: [],
                                                     measured: []))
        #expect(ScaleFiles.stallFields(unprobed) == ["", "", ""])
    }

    /// `--executor pool,dispatch`: the same step on GCD's threads, side by side with the pool,
    /// each row saying which ran it; Dispatch runs once per worker count, unpinned, whatever --bind.
    @Test func measuresThePoolAndDispatchSideBySide() throws {
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1,2", "--batch", "32", "--bind", "close,spread",
                                                         "--executor", "pool,dispatch", "--oversubscribe", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("dispatch rows: the same tasks on GCD's threads"))
        #expect(result.stdout.contains("Amdahl fit, batch 32, dispatch (unpinned)"))
        #expect(result.stdout.contains("digests: identical across all thread counts and policies, and between the executors"))

        let csv = try String(contentsOfFile: out + "/scale.csv", encoding: .utf8).split(separator: "\n")
        let header = csv[0].split(separator: ",").map(String.init)
        let executor = try #require(header.firstIndex(of: "executor"))
        let bind = try #require(header.firstIndex(of: "bind")), pinned = try #require(header.firstIndex(of: "pinned_workers"))
        let rows = csv.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.map { $0[executor] } == ["pool", "pool", "pool", "pool", "dispatch", "dispatch"])
        for row in rows where row[executor] == "dispatch" {
            #expect(row[bind] == "none" && row[pinned] == "0", "\(row)")
        }
        #expect(Set(rows.map { $0.last! }).count == 1)

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/scale.json"))) as? [String: Any])
        let report = try #require(json["report"] as? [String: Any])
        let series = try #require(report["series"] as? [[String: Any]])
        #expect(series.compactMap { $0["executor"] as? String } == ["pool", "pool", "dispatch"])
    }

    /// `--reduce exact` profiles its own fork–joins (the per-layer tiles and applies; it once
    /// trapped in the task log) and gives one digest for any worker count.
    @Test func profilesTheExactReduction() throws {
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try ThinnedBinary.run(Self.small + ["--threads", "1,2", "--batch", "100", "--reduce", "exact", "--predict", "4",
                                                         "--oversubscribe", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("work/span, batch 100"))
        #expect(result.stdout.contains("digests: identical across all thread counts and policies"), "\(result.stdout)")
        // The exact step allocates nothing either: its task lists and handles are kept, and the
        // caller's polling closure never escapes.
        let csv = try String(contentsOfFile: out + "/scale.csv", encoding: .utf8)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0][17] == "allocations_per_step")
        #expect(rows.dropFirst().allSatisfy { Double($0[17]) == 0 }, "\(csv)")
    }

    /// Data that cannot serve: `train`'s error and status (1, no usage), before anything is
    /// measured, printed or written — a missing folder, a file, a folder without the four files,
    /// and real data whose images do not fit the first layer (scale reads file data in full once,
    /// before its measurements).
    @Test func dataThatCannotServeFailBeforeMeasuring() throws {
        let out = Self.temporaryFolder()
        func refused(_ data: String, _ message: String, layers: String = "784,32,10") throws -> ThinnedBinary.Result {
            let arguments = Self.small.map { $0 == "784,32,10" ? layers : $0 } + ["--threads", "1", "--data", data, "--out", out]
            let result = try ThinnedBinary.run(arguments)
            #expect(result.status == 1 && result.stderr.contains(message), "\(data): \(result.status) \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(data): \(result.stdout)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(data): \(out) was created")
            return result
        }
        let missing = try refused("/nonexistent/folder", "/nonexistent/folder: no such data folder")
        let train = try ThinnedBinary.run(["train", "--data", "/nonexistent/folder", "--epochs", "1"])
        #expect(missing.stderr == train.stderr, "scale: \(missing.stderr) train: \(train.stderr)")
        let empty = Self.temporaryFolder()
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        _ = try refused(empty, "\(empty): missing train-images-idx3-ubyte")
        let file = empty + "/notes.txt"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        _ = try refused(file, "\(file): cannot read: not a folder")
        try #require(FileManager.default.fileExists(atPath: DataSplit.defaultDirectory), "Tools/setup installs dataset-fashion-mnist")
        _ = try refused(DataSplit.defaultDirectory, "= 784 pixels, expected 100", layers: "100,32,10")
    }

    @Test func badInputEndsWithAClearError() throws {
        var result = try ThinnedBinary.run(Self.small + ["--threads", "0,2", "--out", Self.temporaryFolder()])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--threads 0,2: expected worker counts of at least 1"), "\(result.stderr)")

        result = try ThinnedBinary.run(Self.small + ["--threads", "1,100000", "--out", Self.temporaryFolder()])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--threads 1,100000: expected at most the"), "\(result.stderr)")

        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--out", "/proc/thinned-cannot-write-here"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--out /proc/thinned-cannot-write-here: cannot create the folder"), "\(result.stderr)")
        // A file where the folder should be: said as such, not as mkdir's "File exists".
        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--out", "/dev/null"])
        #expect(result.status != 0 && result.stderr.contains("--out /dev/null: exists and is not a folder"), "\(result.stderr)")

        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--predict", "4,0", "--out", Self.temporaryFolder()])
        #expect(result.status != 0 && result.stderr.contains("--predict 4,0: expected worker counts of at least 1"), "\(result.stderr)")
        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--stream-array-mib", "0", "--out", Self.temporaryFolder()])
        #expect(result.status != 0 && result.stderr.contains("--stream-array-mib 0: expected 1 to 1048576 MiB"), "\(result.stderr)")

        // Usage errors all (status 64, with the usage), before anything is measured: each with a
        // worker count this machine lacks, which only a check after loading the topology would
        // refuse, so that the message proves the early check ran.
        for (arguments, message) in [(["--threads", "1,1"], "--threads 1,1: expected each count once (1 is listed twice)"),
                                     (["--batch", "-5"], "--batch -5: expected batch sizes of at least 1"),
                                     (["--batch", "100,100"], "--batch 100,100: expected each size once (100 is listed twice)"),
                                     (["--bind", "close,close"], "--bind close,close: expected each policy once"),
                                     (["--executor", "pool,pool"], "--executor pool,pool: expected each executor once"),
                                     (["--steps", "0"], "--steps 0: expected at least 1"),
                                     (["--repeat", "0"], "--repeat 0: expected at least 1"),
                                     (["--warmup", "-1"], "--warmup -1: expected 0 or more")] {
            let threads = arguments.first == "--threads" ? [] : ["--threads", "100000"]
            result = try ThinnedBinary.run(Self.small + threads + arguments + ["--out", Self.temporaryFolder()])
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }

        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--bind", "diagonal"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("'diagonal' is invalid for '--bind"), "\(result.stderr)")

        result = try ThinnedBinary.run(Self.small + ["--threads", "1", "--executor", "pool,gcd"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("'pool,gcd' is invalid for '--executor"), "\(result.stderr)")
    }
}
