import Foundation
import Testing
@testable import thinned

/// The command's text helpers against the Foundation calls they replace.
@Suite struct TextTests {
    @Test func membersSortByTheirNumbers() {
        let names = ["member-10", "member-2", "Member-3", "member-1", "member-01", "run.safetensors", "member-1.safetensors"]
        #expect(names.sorted(by: NaturalOrder.precedes)
                == ["member-1", "member-01", "member-1.safetensors", "member-2", "Member-3", "member-10", "run.safetensors"])
    }

    @Test func naturalOrderIsLocalizedStandardCompareOnMemberNames() {
        let alphabet = Array("aAzZ0019-.")
        var generator = SystemRandomNumberGenerator()
        func name() -> String { String((0..<Int.random(in: 0...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
        for _ in 0..<5000 {
            let a = name(), b = name()
            #expect(NaturalOrder.precedes(a, b) == (a.localizedStandardCompare(b) == .orderedAscending), "\(a) \(b)")
        }
    }

    @Test func blanksAndAlphanumericsAreFoundationsCharacterSets() {
        // Foundation's tables stop at an older Unicode: compared where both know every character.
        for value in 0..<0x10000 {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 13 else { continue }
            #expect(scalar.isBlank == CharacterSet.whitespaces.contains(scalar), "U+\(String(value, radix: 16))")
            #expect(scalar.isAlphanumeric == CharacterSet.alphanumerics.contains(scalar), "U+\(String(value, radix: 16))")
        }
        #expect(" \t784, 64\u{3000}".trimmingBlanks == "784, 64")
        #expect("\n10\n".trimmingBlanks == "\n10\n")
        #expect(" \t ".trimmingBlanks == "")
    }
}
