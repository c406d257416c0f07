import Testing
@testable import Thinned

/// The tile sizes `TilePlan` derives from OpenBLAS's small-matrix limits.
@Suite struct TilePlanTests {
    /// The reference model at the default shard: 48-unit forward tiles (25 × 48 = 1200 results,
    /// 25 × 48 × 784 = 940 800 multiply-adds) and 64-unit delta tiles (25 × 64 × 512 = 819 200);
    /// one unit step wider breaks a limit in each case.
    @Test func referenceModelAtTheDefaultShard() {
        let widths = [784, 512, 512, 512, 512, 10]
        let plan = TilePlan(widths: widths, rows: 25)
        #expect(plan.forwardColumns == [48, 48, 48, 48, 48])
        #expect(plan.deltaColumns == [0, 64, 64, 64, 128])
        for l in 0..<(widths.count - 1) {
            let columns = plan.forwardColumns[l], wider = columns + TilePlan.columnStep
            #expect(25 * columns <= TilePlan.smallForwardResult && 25 * columns * widths[l] <= TilePlan.smallProduct)
            #expect(25 * wider > TilePlan.smallForwardResult || 25 * wider * widths[l] > TilePlan.smallProduct)
        }
        for l in 1..<(widths.count - 1) where plan.deltaColumns[l] < TilePlan.maximumColumns {
            #expect(25 * (plan.deltaColumns[l] + TilePlan.columnStep) * widths[l + 1] > TilePlan.smallProduct)
        }
    }

    /// Where no multiple of 16 fits, the narrowest tile; the widest is 128.
    @Test func boundsOfTheColumns() {
        #expect(TilePlan.columns(rows: 200, depth: 784, resultLimit: TilePlan.smallForwardResult) == TilePlan.columnStep)
        #expect(TilePlan.columns(rows: 1, depth: 10, resultLimit: .max) == TilePlan.maximumColumns)
        #expect(TilePlan.gradientOutputs * TilePlan.gradientInputs * TilePlan.gradientRows <= TilePlan.smallProduct)
    }
}
