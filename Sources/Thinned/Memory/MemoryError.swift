/// A size that cannot be computed or cannot be had.
public enum MemoryError: Error, CustomStringConvertible, Equatable {
    /// The size of `what`, computed from untrusted numbers, does not fit in an `Int` of bytes.
    case overflow(what: String)
    /// `what` needs `neededBytes`, more than the tightest limit, named `limit`, allows
    /// (`availableBytes`).
    case tooLarge(what: String, neededBytes: Int, availableBytes: Int, limit: String)

    /// One sentence naming what was asked for, the bytes it needs and the bytes there are.
    public var description: String {
        switch self {
        case let .overflow(what): "\(what): the size overflows a 64-bit count of bytes"
        case let .tooLarge(what, needed, available, limit) where limit == MemoryBudget.physicalMemory:
            // Physical memory is a total, not what is left of it.
            "\(what): needs \(MemoryError.format(needed)), but the machine has \(MemoryError.format(available)) of physical memory"
        case let .tooLarge(what, needed, available, limit):
            "\(what): needs \(MemoryError.format(needed)), but \(limit) leaves \(MemoryError.format(available))"
        }
    }

    /// Bytes in the unit a person reads: "318.0 GB (318000000072 bytes)".
    public static func format(_ bytes: Int) -> String {
        let units: [(String, Double)] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)]
        for (unit, size) in units where Double(bytes) >= size {
            let scaled = (Double(bytes) / size * 10).rounded() / 10
            return "\(scaled) \(unit) (\(bytes) bytes)"
        }
        return "\(bytes) bytes"
    }
}
