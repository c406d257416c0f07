/// The classes of characters the command's text handling asks about, as Foundation's
/// `CharacterSet`s define them (FoundationEssentials has no `CharacterSet`).
extension Unicode.Scalar {
    /// A space or a tab: `CharacterSet.whitespaces` (general category Zs, the tab, and the
    /// zero-width space, which early Unicode counted as a space and Foundation still does).
    var isBlank: Bool { self == "\t" || self == "\u{200B}" || properties.generalCategory == .spaceSeparator }

    /// A letter, a mark or a digit of any script (general categories L*, M* and N*):
    /// `CharacterSet.alphanumerics` as far as Foundation's older tables go (the same for the
    /// Basic Multilingual Plane up to Unicode 13; later letters are letters here too).
    var isAlphanumeric: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }
}

extension StringProtocol {
    /// The text without the blanks around it: `trimmingCharacters(in: .whitespaces)`.
    var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isBlank }), let last = scalars.lastIndex(where: { !$0.isBlank }) else {
            return ""
        }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }
}
