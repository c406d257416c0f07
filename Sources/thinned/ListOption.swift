import ArgumentParser

/// A comma-separated list option, as `--threads 1,2,4` or `--bind close,spread`.
struct ListOption<Element: ExpressibleByArgument>: ExpressibleByArgument {
    let values: [Element]

    init(_ values: [Element]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { Element(argument: $0.trimmingBlanks) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.map { $0! }
    }

    var defaultValueDescription: String { values.map { "\($0)" }.joined(separator: ",") }
}

extension ListOption: Sendable where Element: Sendable {}
