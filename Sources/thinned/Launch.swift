#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned
#if MPI
import CMPI
#endif

/// How this process was started: alone, or as one rank of several by an MPI launcher (`mpirun`,
/// Slurm's `srun`), and the communicator that joins the ranks.
///
/// Only rank 0 speaks: every other rank's standard output goes to /dev/null and its warnings are
/// dropped; an error on any rank is printed with the rank's number and ends the whole job.
enum Launch {
    /// The ranks the launcher announces in the environment (Open MPI's, PMIx's, PMI's or Slurm's),
    /// or nil when no launcher started this process.
    static var announcedSize: Int? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"] {
            if let text = environment[name], let size = Int(text) { return size }
        }
        // srun sets SLURM_NTASKS in every task; plain sbatch scripts have it too, so it counts
        // only together with SLURM_PROCID (set per task by srun).
        if environment["SLURM_PROCID"] != nil, let text = environment["SLURM_NTASKS"], let size = Int(text) { return size }
        return nil
    }

    /// This process's rank (0 without a launcher), for the messages.
    nonisolated(unsafe) static var rank = 0
    /// Whether MPI was started and must be finished before the process exits.
    nonisolated(unsafe) static var started = false

    /// The communicator of this run: MPI's when a launcher started this process (MPI
    /// initialised here), else the one local process. A thinned built without the MPI trait
    /// refuses to run as one of several ranks (each would train alone and write the same files).
    static func communicator() throws -> Communicator {
        guard let size = announcedSize else { return LocalCommunicator() }
        #if MPI
        // Open MPI's nonblocking all-reduce (libnbc) picks a binomial or recursive-doubling tree
        // for these messages, 2–3× slower on 9.6 MB than a ring (measured on a 16-core node:
        // README, "Many machines"); the ring, which the network model assumes, unless the user
        // chose (`--mca coll_libnbc_iallreduce_algorithm`, or the variable itself).
        setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", 0)
        let communicator = MPICommunicator()
        started = true
        rank = communicator.rank
        if rank != 0 { silence() }
        // The first collective of every command: the same arguments on every rank, or the ranks'
        // later collectives (a noise key, per-sample norms) would not match and the job would hang.
        let arguments = CommandLine.arguments.dropFirst()
        if differs(arguments.joined(separator: "\u{0}"), communicator) {
            throw CommandFailure("the ranks were started with different arguments (each rank must run the same command); this rank has: \(arguments.joined(separator: " "))")
        }
        return communicator
        #else
        guard size <= 1 else {
            throw CommandFailure("this process is one of \(size) started by an MPI launcher, but this thinned was built without MPI: build it with `swift build -c release --traits MPI` (Tools/setup --mpi installs Open MPI)")
        }
        return LocalCommunicator()
        #endif
    }

    /// Whether `text` differs on any rank from rank 0's (every rank gets the answer; each
    /// compares a hash, FNV-1a: a check that the ranks were given the same, not a defence).
    static func differs(_ text: String, _ communicator: Communicator) -> Bool {
        guard communicator.size > 1 else { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var rankZero = hash
        withUnsafeMutableBytes(of: &rankZero) { communicator.broadcast($0) }
        return communicator.any(rankZero != hash)
    }

    /// Ends MPI after a run every rank finished (or stopped) together.
    static func finish() {
        #if MPI
        if started { thinned_mpi_finalize() }
        started = false
        #endif
    }

    /// Ends the whole job after `error` on this rank: printed with the rank, then MPI_Abort (the
    /// other ranks may be waiting in a collective for this one).
    static func abort(_ error: any Error) -> Never {
        #if MPI
        StandardError.write("thinned (rank \(rank)): \(ThinnedCommand.fullMessage(for: error))\n")
        fflush(nil)
        thinned_mpi_abort(1)
        #endif
        exit(1)
    }

    /// Rank ≠ 0: standard output to /dev/null (the progress, the epoch lines).
    private static func silence() {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 {
            fflush(nil)
            dup2(null, STDOUT_FILENO)
            close(null)
        }
    }
}

#if MPI
/// MPI's `MPI_COMM_WORLD` as the run's communicator (MPI_THREAD_FUNNELED: only the main thread
/// calls it).
final class MPICommunicator: Communicator {
    let rank: Int
    let size: Int

    init() {
        let provided = thinned_mpi_init()
        rank = Int(thinned_mpi_rank())
        size = Int(thinned_mpi_size())
        if provided < thinned_mpi_funneled() {
            StandardError.write("thinned (rank \(rank)): this MPI gives no thread support (MPI_THREAD_FUNNELED); the worker pool needs it\n")
            thinned_mpi_abort(1)
        }
    }

    /// MPI counts are `int`s: longer buffers go in pieces.
    private static let piece = 1 << 28

    func maximum(_ values: UnsafeMutableBufferPointer<Float>) {
        var first = 0
        while first < values.count {
            let count = min(Self.piece, values.count - first)
            thinned_mpi_max_floats(values.baseAddress! + first, Int32(count))
            first += count
        }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Int64>) {
        var first = 0
        while first < values.count {
            let count = min(Self.piece, values.count - first)
            thinned_mpi_sum_int64s(values.baseAddress! + first, Int32(count))
            first += count
        }
    }

    func gather(_ mine: UnsafeBufferPointer<Float>, into all: UnsafeMutableBufferPointer<Float>, counts: [Int], offsets: [Int]) {
        let counts32 = counts.map { Int32($0) }, offsets32 = offsets.map { Int32($0) }
        thinned_mpi_gather_floats(mine.baseAddress, Int32(mine.count), all.baseAddress, counts32, offsets32)
    }

    func broadcast(_ bytes: UnsafeMutableRawBufferPointer) {
        thinned_mpi_broadcast(bytes.baseAddress, Int32(bytes.count))
    }

    func any(_ flag: Bool) -> Bool {
        thinned_mpi_any(flag ? 1 : 0) != 0
    }

    /// The requests of the nonblocking sums under way (one per piece), and the handle of each:
    /// its first request's index. Emptied once every started sum is finished.
    private var requests: [MPI_Request?] = []
    private var handles: [Int: Range<Int>] = [:]

    func startSum(_ values: UnsafeMutableBufferPointer<Int64>) -> Int {
        let handle = requests.count
        var first = 0
        while first < values.count {
            let count = min(Self.piece, values.count - first)
            requests.append(thinned_mpi_sum_int64s_start(values.baseAddress! + first, Int32(count)))
            first += count
        }
        handles[handle] = handle..<requests.count
        return handle
    }

    func progress() -> Bool {
        var pending = false
        for i in requests.indices where requests[i] != nil {
            // MPI_Test sets a completed request to MPI_REQUEST_NULL.
            thinned_mpi_test(&requests[i])
            if requests[i] != thinned_mpi_request_null() { pending = true }
        }
        return pending
    }

    func finish(_ handle: Int) {
        guard let range = handles.removeValue(forKey: handle) else { return }
        for i in range { thinned_mpi_wait(&requests[i]) }
        if handles.isEmpty { requests.removeAll(keepingCapacity: true) }
    }
}
#endif
