/// A set of processing units (PUs), named by their operating-system indices — the numbers that
/// `taskset`, `/proc/cpuinfo` and `hwloc-ls`'s `P#` use.
///
/// A plain sorted value, so that plans can be compared, printed and sent between threads; it
/// becomes an hwloc bitmap only at the boundary (see `CPUSet+Hwloc.swift`).
public struct CPUSet: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The operating-system indices of the PUs, ascending, without repeats.
    public let indices: [Int]

    /// The set of the given PU indices (any order, repeats ignored).
    public init<S: Sequence>(_ indices: S) where S.Element == Int {
        self.indices = Array(Set(indices)).sorted()
        precondition(self.indices.first.map { $0 >= 0 } ?? true, "CPUSet: negative PU index in \(self.indices)")
    }

    /// The empty set.
    public static let empty = CPUSet([])

    /// True when the set holds no PU.
    public var isEmpty: Bool { indices.isEmpty }
    /// The number of PUs in the set.
    public var count: Int { indices.count }
    /// The lowest PU index, if any.
    public var first: Int? { indices.first }

    /// True when the PU with operating-system index `index` is in the set.
    public func contains(_ index: Int) -> Bool { indices.contains(index) }
    /// The PUs that are in both `self` and `other`.
    public func intersection(_ other: CPUSet) -> CPUSet { CPUSet(Set(indices).intersection(other.indices)) }
    /// The PUs that are in `self`, in `other`, or in both.
    public func union(_ other: CPUSet) -> CPUSet { CPUSet(indices + other.indices) }
    /// True when every PU of `self` is also in `other` (the empty set is a subset of any set).
    public func isSubset(of other: CPUSet) -> Bool { Set(indices).isSubset(of: other.indices) }

    /// Orders sets lexicographically by their ascending index lists, so `0-1` < `0,2` < `1`, and a
    /// set comes before any longer set it is a prefix of.
    public static func < (lhs: CPUSet, rhs: CPUSet) -> Bool { lhs.indices.lexicographicallyPrecedes(rhs.indices) }

    /// The list in `taskset -c` form: runs collapsed, as in `0-3,8,10-11`; `none` when empty.
    public var description: String {
        guard !indices.isEmpty else { return "none" }
        var parts: [String] = []
        var start = indices[0], end = indices[0]
        for index in indices.dropFirst() {
            if index == end + 1 { end = index; continue }
            parts.append(start == end ? "\(start)" : "\(start)-\(end)")
            start = index; end = index
        }
        parts.append(start == end ? "\(start)" : "\(start)-\(end)")
        return parts.joined(separator: ",")
    }

    /// Parses a list in `taskset -c` form (`0-3,8`); nil when it is not one.
    public init?(list: String) {
        var result: [Int] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]),
                  low >= 0, low <= high
            else { return nil }
            result.append(contentsOf: low...high)
        }
        self.init(result)
    }
}
