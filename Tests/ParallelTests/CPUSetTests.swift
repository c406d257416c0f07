import Testing
@testable import Parallel

@Suite struct CPUSetTests {
    @Test(arguments: [
        ([Int](), "none"), ([0], "0"), ([0, 1, 2, 3], "0-3"), ([3, 1, 0, 2, 8, 10, 11], "0-3,8,10-11"), ([5, 5, 7], "5,7"),
    ])
    func listForm(indices: [Int], list: String) {
        #expect(CPUSet(indices).description == list)
        if !indices.isEmpty { #expect(CPUSet(list: list) == CPUSet(indices)) }
    }

    @Test(arguments: ["", "a", "3-1", "1-", "-1", "1,,2", "1-2-3"])
    func rejectsMalformedLists(list: String) {
        #expect(CPUSet(list: list) == nil)
    }

    @Test func setAlgebra() {
        let a = CPUSet([0, 1, 2, 3]), b = CPUSet([2, 3, 4])
        #expect(a.intersection(b) == CPUSet([2, 3]))
        #expect(a.union(b) == CPUSet(0...4))
        #expect(CPUSet([2, 3]).isSubset(of: a))
        #expect(!b.isSubset(of: a))
    }

    @Test func hwlocBitmapRoundTrip() {
        let set = CPUSet([0, 3, 64, 65, 130])
        #expect(set.withBitmap { CPUSet($0) } == set)
    }
}
