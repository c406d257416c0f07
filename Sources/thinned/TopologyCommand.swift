import ArgumentParser
import Parallel
import Thinned

/// `thinned topology`: the machine as hwloc sees it, the plan for the given pool options, and
/// proof read back from the running workers.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show the machine, the worker placement plan, and where the started workers really run."
    )

    @OptionGroup var pool: PoolOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let report = try TopologyReport.measure(pool)
        if json {
            print(try JSONValue(encoding: report).text(.sortedIndented))
        } else {
            print(report.text, terminator: "")
        }
    }
}
