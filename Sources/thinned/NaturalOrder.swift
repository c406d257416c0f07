/// Names in the order a person reads them: runs of digits by their value (`member-2` before
/// `member-10`), letters without regard to case, and names equal that way by their first
/// difference, a lowercase letter or fewer leading zeros first. For names of ASCII letters,
/// digits, `-` and `.` (an ensemble's members) this is Foundation's `localizedStandardCompare`;
/// other punctuation goes in code-point order, where a locale's collation may differ.
enum NaturalOrder {
    /// Whether `a` comes before `b`.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var x = Substring(a).unicodeScalars, y = Substring(b).unicodeScalars
        var tie: Bool?  // the first difference of case or of leading zeros
        while let p = x.first, let q = y.first {
            if isDigit(p) && isDigit(q) {
                let left = x.prefix(while: isDigit), right = y.prefix(while: isDigit)
                // Equal values: as many digits once leading zeros are dropped, and the same ones.
                let u = left.drop { $0 == "0" }, v = right.drop { $0 == "0" }
                if u.count != v.count { return u.count < v.count }
                if !u.elementsEqual(v) { return u.lexicographicallyPrecedes(v) }
                if tie == nil, left.count != right.count { tie = left.count < right.count }
                x = x.dropFirst(left.count)
                y = y.dropFirst(right.count)
            } else {
                let lower = (p.properties.lowercaseMapping, q.properties.lowercaseMapping)
                if lower.0 != lower.1 { return lower.0 < lower.1 }
                if tie == nil, p != q { tie = p.properties.isLowercase }
                x = x.dropFirst()
                y = y.dropFirst()
            }
        }
        if x.isEmpty != y.isEmpty { return x.isEmpty }
        return tie ?? false
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
