import Foundation
import Testing
@testable import thinned

/// The command's number formatting against known strings, and against Foundation's
/// `String(format:)`, which wrote every line before it.
@Suite struct FormatTests {
    @Test func fixedDecimalsRoundTheExactBinaryValue() {
        #expect(Format.fixed(3.14159, 2) == "3.14")
        #expect(Format.fixed(2.675, 2) == "2.67")      // 2.67499999999999982236431605997495353221893310546875
        #expect(Format.fixed(0.125, 2) == "0.12")      // exactly half: to even
        #expect(Format.fixed(0.375, 2) == "0.38")
        #expect(Format.fixed(99.995, 2) == "100.00")   // 99.99500000000000454747350886464118957519531250
        #expect(Format.fixed(1234.5, 0) == "1234")
        #expect(Format.fixed(-0.04, 1) == "-0.0")
        #expect(Format.fixed(91.4, 2, width: 6) == " 91.40")
        #expect(Format.fixed(100, 2, width: 6) == "100.00")
        #expect(Format.fixed(1234.567, 2, width: 6) == "1234.57")
        #expect(Format.fixed(1e21, 0) == "1000000000000000000000")
        #expect(Format.fixed(.infinity, 2) == "inf")
    }

    @Test func significantDigitsSwitchToExponents() {
        #expect(Format.significant(123.456, 3) == "123")
        #expect(Format.significant(1234.5, 3) == "1.23e+03")
        #expect(Format.significant(0.0001234, 3) == "0.000123")
        #expect(Format.significant(0.00001234, 3) == "1.23e-05")
        #expect(Format.significant(23.1, 3) == "23.1")
        #expect(Format.significant(20, 3) == "20")
    }

    @Test func paddingNeverCuts() {
        #expect(Format.right(5, 6) == "     5")
        #expect(Format.right(7, 2, pad: "0") == "07")
        #expect(Format.right(123, 2, pad: "0") == "123")
        #expect(Format.left("close", 6) == "close ")
        #expect(Format.left("weight scaling", 22) == "weight scaling        ")
        #expect(Format.left("MC dropout, T=100000000", 22) == "MC dropout, T=100000000")
    }

    @Test(arguments: [0, 1, 2, 3, 4])
    func fixedMatchesStringFormat(decimals: Int) {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let magnitude = Double.random(in: -6...9, using: &generator)
            let value = Double.random(in: -1...1, using: &generator) * Foundation.pow(10, magnitude)
            #expect(Format.fixed(value, decimals) == String(format: "%.\(decimals)f", value), "\(value)")
            #expect(Format.fixed(value, decimals, width: 9) == String(format: "%9.\(decimals)f", value), "\(value)")
            #expect(Format.significant(value, decimals + 1) == String(format: "%.\(decimals + 1)g", value), "\(value)")
        }
    }

    @Test func etaIsMinutesAndSeconds() {
        #expect(ProgressReporter.format(seconds: 59.6) == "1:00")
        #expect(ProgressReporter.format(seconds: 605) == "10:05")
        #expect(ProgressReporter.format(seconds: 3600 + 62) == "1:01:02")
    }
}
