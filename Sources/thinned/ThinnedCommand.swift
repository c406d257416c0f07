import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Thinned

/// The `thinned` command: trains MLPs with per-sample dropout on a pinned worker pool.
@main
struct ThinnedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thinned",
        abstract: "A multithreaded per-sample gradient engine: MLPs with dropout, one mask and one gradient per sample.",
        subcommands: [TrainCommand.self, EvaluateCommand.self, EnsembleCommand.self, AugmentCommand.self, PerSampleCommand.self, ScaleCommand.self, TopologyCommand.self]
    )

    static func main() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .notice
            return handler
        }
        // The pool is the only source of parallelism: BLAS runs on the calling worker alone.
        BLAS.useSingleThread()
        var command: ParsableCommand
        do {
            command = try parseAsRoot(NegativeNumbers.joined(Array(CommandLine.arguments.dropFirst())))
        } catch {
            leave(withError: error)
        }
        do {
            try command.run()
            // What was printed must have arrived: a full disk or a closed pipe is a failure, not
            // a run that exits 0 with its results lost.
            if fflush(nil) != 0 {
                throw CommandFailure("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
        } catch let error as ValidationError {
            // Past parsing, a usage line would only mislead (and it would be the root command's):
            // the message names the option or the file.
            leave(withError: CommandFailure(error.message))
        } catch {
            leave(withError: error)
        }
        leave(withError: nil)
    }

    /// Prints what ArgumentParser's `exit(withError:)` prints (help and version to standard
    /// output, errors to standard error), flushes, and ends the process with `_exit`.
    ///
    /// Not `exit`: its handlers include OpenBLAS's, which joins OpenBLAS's own server thread —
    /// and under an address-space limit (`ulimit -v`) too tight for that thread's 128 MiB buffer
    /// the thread retries the mapping forever, so the process never ends (a refused
    /// `thinned evaluate` under `ulimit -v 125000` spun for 15 minutes). Nothing of ours needs an
    /// exit handler: every file we write is closed when the command returns.
    static func leave(withError error: Error?) -> Never {
        // One rank of an MPI job: a failure here ends the whole job (the other ranks may wait in
        // a collective for this one); a finished or stopped run, which every rank ends together,
        // finishes MPI.
        if Launch.started, let error, !(error is ExitCode) { Launch.abort(error) }
        var code = ExitCode.success
        if let error {
            code = exitCode(for: error)
            let text = fullMessage(for: error)
            if !text.isEmpty {
                if code.isSuccess { print(text) } else { StandardError.write(text + "\n") }
            }
        }
        // Help or a version lost to a full disk or a closed pipe is a failure too.
        if fflush(nil) != 0, code.isSuccess {
            StandardError.write("Error: cannot write to standard output: \(String(cString: strerror(errno)))\n")
            code = .failure
        }
        Launch.finish()
        _exit(code.rawValue)
    }
}
