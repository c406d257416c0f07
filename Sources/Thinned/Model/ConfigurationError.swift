/// An invalid model or training configuration: the option and what was expected.
public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case invalid(option: String, value: String, expected: String)
    /// What the option asks for needs more memory than the process may use.
    case tooLarge(option: String, value: String, MemoryError)

    public var description: String {
        switch self {
        case let .invalid(option, value, expected): "\(option) \(value): expected \(expected)"
        case let .tooLarge(option, value, error): "\(option) \(value): \(error)"
        }
    }
}
