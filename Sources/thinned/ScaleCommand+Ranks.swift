import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel
import Thinned

/// `thinned scale` under an MPI launcher: every rank measures the same configurations together
/// (`--reduce exact`, its own pinned pool in the cpuset the launcher gave it) and rank 0 prints,
/// per configuration, each rank's step split into computation, communication (the sum of the
/// integers and the gathers) and waiting (the maximum of the bounds, where a rank waits for the
/// slowest), and writes them to scale-ranks.csv. The roofs and the work/span analysis are those
/// of one process (`thinned scale` without a launcher).
extension ScaleCommand {
    func runRanks(communicator: Communicator, topology: Result<Topology, TopologyError>, counts: [Int],
                  base: TrainingConfiguration, split splitFor: (Int) throws -> DataSplit) throws {
        let ranks = communicator.size, rank = communicator.rank
        let folder = rank == 0 ? try OutputFolder(path: out) : nil
        print("thinned scale on \(ranks) MPI processes: --reduce exact, groups of " + (training.groupSize.map { "\($0)" } ?? "the default size for each batch") + "; every rank its own pool of --threads workers; "
              + "per rank and step: compute = step − communication − waiting; communication = the integers' sum and the losses' gathers; "
              + "waiting = the bounds' maximum (a few floats: the time a rank waits for the slowest)")
        var csv = "batch,ranks,threads_per_rank,bind,rank,median_step_ms,mean_step_ms,compute_ms,communication_ms,waiting_ms,reduced_bytes_per_step,samples_per_second,digest\n"
        var digests: [Int: String] = [:]
        var mismatches: [String] = []
        for batch in self.batch.values {
            var configuration = base
            configuration.batchSize = batch
            if training.groupSize == nil {
                configuration.exactGroupSize = TrainingConfiguration.defaultGroupSize(batchSize: batch, shardSize: configuration.shardSize)
            }
            do { try configuration.validate() } catch { throw ValidationError(error.description) }
            let split = try splitFor(batch)
            for bind in self.bind.values {
                for count in counts {
                    let start = try WorkerPool.start(threads: count, bind: bind, places: places, oversubscribe: oversubscribe,
                                                     topology: topology)
                    let trainer = try Trainer(configuration: configuration, data: split, pool: start.pool, communicator: communicator)
                    let order = EpochOrder(count: split.train.count, batchSize: batch, epoch: 0, seed: configuration.seed)
                    _ = trainer.profile(steps: warmup, batches: order)
                    let before = trainer.reductionTimes ?? ReductionTimes()
                    var times: [Double] = []
                    for r in 0..<`repeat` {
                        times += trainer.profile(steps: steps, batches: order, startingAt: warmup + r * steps).stepSeconds
                    }
                    let spent = (trainer.reductionTimes ?? ReductionTimes()).since(before)
                    let n = Double(max(1, spent.steps))
                    let mine: [Float] = [ScaleMath.median(times), times.reduce(0, +) / Double(times.count),
                                         spent.waiting / n, spent.reducing / n, spent.gathering / n].map { Float($0) }
                    var all = [Float](repeating: 0, count: mine.count * ranks)
                    mine.withUnsafeBufferPointer { m in
                        all.withUnsafeMutableBufferPointer {
                            communicator.gather(m, into: $0, counts: Array(repeating: mine.count, count: ranks),
                                                offsets: (0..<ranks).map { $0 * mine.count })
                        }
                    }
                    // Every rank's weights must be rank 0's, and every configuration's the first's.
                    var digest = Array(trainer.weightsDigest.utf8)
                    let own = digest
                    digest.withUnsafeMutableBytes { communicator.broadcast($0) }
                    let label = "batch \(batch), \(count) worker\(count == 1 ? "" : "s") per rank, --bind \(bind.rawValue)"
                    if communicator.any(digest != own) { mismatches.append(label + ": the ranks' weights differ") }
                    let text = String(decoding: digest, as: UTF8.self)
                    if let first = digests[batch], first != text { mismatches.append(label + ": differs from the first configuration") }
                    if digests[batch] == nil { digests[batch] = text }
                    guard rank == 0 else { continue }
                    let slowest = (0..<ranks).map { Double(all[$0 * mine.count]) }.max()!
                    print("\nbatch \(batch), \(ranks) ranks × \(count) worker\(count == 1 ? "" : "s"), --bind \(bind.rawValue): "
                          + "\(Format.fixed(Double(batch) / slowest, 0)) samples/s (the slowest rank's median step), "
                          + "\(MemoryError.format(spent.bytesPerStep)) per rank and step into the collectives")
                    print("   rank  step ms median  step ms mean  compute ms  communication ms  waiting ms")
                    for r in 0..<ranks {
                        let f = (0..<mine.count).map { Double(all[r * mine.count + $0]) * 1e3 }
                        let communication = f[3] + f[4], compute = f[1] - communication - f[2]
                        print(Format.right(r, 7) + Format.fixed(f[0], 2, width: 16) + Format.fixed(f[1], 2, width: 14)
                              + Format.fixed(compute, 2, width: 12) + Format.fixed(communication, 2, width: 18) + Format.fixed(f[2], 2, width: 12))
                        csv += "\(batch),\(ranks),\(count),\(bind.rawValue),\(r),\(f[0]),\(f[1]),\(compute),\(communication),\(f[2]),"
                            + "\(spent.bytesPerStep),\(Double(batch) / slowest),\(text)\n"
                    }
                    fflush(nil)
                }
            }
        }
        guard let folder else {
            if !mismatches.isEmpty { throw ExitCode.failure }
            return
        }
        for (batch, digest) in digests.sorted(by: { $0.key < $1.key }) { print("weights sha256, batch \(batch): \(digest)") }
        print(mismatches.isEmpty ? "digests: identical on every rank and across all thread counts and policies"
                                 : "digests: DIFFER: " + mismatches.joined(separator: "; "))
        try folder.write("scale-ranks.csv", csv)
        print("wrote \(folder.path)/scale-ranks.csv")
        if !mismatches.isEmpty { throw ExitCode.failure }
    }
}
