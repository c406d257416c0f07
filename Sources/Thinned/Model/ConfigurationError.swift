/// An invalid model or training configuration: the option and what was expected.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The option's value is not what it must be: `expected` says what is.
    case invalid(option: String, value: String, expected: String)
    /// What the option asks for needs more memory than the process may use.
    case tooLarge(option: String, value: String, MemoryError)

    /// The message `thinned` prints: the option, its value, and what was expected or why it does not fit.
    public var description: String {
        switch self {
        case let .invalid(option, value, expected): "\(option) \(value): expected \(expected)"
        case let .tooLarge(option, value, error): "\(option) \(value): \(error)"
        }
    }
}
