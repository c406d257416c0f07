/// Joins `--option -NUMBER` into `--option=-NUMBER` before parsing: the argument parser reads a
/// separate `-0.01` as an option of its own ("Missing value for '--lr <lr>'"), while the joined
/// form reaches the option's own check, which names what was expected.
enum NegativeNumbers {
    /// `arguments` with every long option followed by a negative number joined to it; nothing after
    /// a `--` terminator is touched.
    static func joined(_ arguments: [String]) -> [String] {
        var result: [String] = []
        result.reserveCapacity(arguments.count)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result += arguments[index...]
                break
            }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }

    /// `-3`, `-0.01`, `-.5`, `-1e-3`, `-inf`, `-nan`, `-1,2`: a minus sign then a digit or a point,
    /// or a word a number parser reads. No option of `thinned` is spelt that way.
    static func isNegativeNumber(_ text: String) -> Bool {
        guard text.hasPrefix("-"), let next = text.dropFirst().first else { return false }
        return next.isASCII && (next.isNumber || next == ".") || Double(text) != nil
    }
}
