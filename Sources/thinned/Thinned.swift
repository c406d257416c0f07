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
        subcommands: [TrainCommand.self, EvaluateCommand.self, EnsembleCommand.self, AugmentCommand.self, ScaleCommand.self, TopologyCommand.self]
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
            exit(withError: error)
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
            exit(withError: CommandFailure(error.message))
        } catch {
            exit(withError: error)
        }
    }
}
