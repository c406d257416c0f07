import Testing
@testable import Thinned

@Suite struct DropoutTests {
    static let generator = Philox(seed: 2024)

    /// The kept fraction of each layer's mask over many units lies within binomial bounds.
    @Test(arguments: [Float(0.2), 0.5, 0.3, 0.9])
    func keptFractionIsBinomial(dropRate: Float) {
        let units = 200_000
        let mask = DropoutMask(generator: Self.generator, step: 1, sample: 0, layer: 1,
                               keepProbability: 1 - dropRate, scale: 1)
        let kept = mask.keeps(count: units).filter { $0 }.count
        let q = Double(1 - dropRate), n = Double(units)
        let sd = (n * q * (1 - q)).squareRoot()
        // 6 standard deviations: a false alarm once in ~10⁹ runs.
        #expect(abs(Double(kept) - n * q) < 6 * sd, "kept \(kept) of \(units) for q = \(q)")
    }

    @Test func masksDifferAcrossSamplesStepsAndLayersAndRepeatForTheSamePlace() {
        func mask(step: Int, sample: Int, layer: Int) -> [Bool] {
            DropoutMask(generator: Self.generator, step: step, sample: sample, layer: layer, keepProbability: 0.5, scale: 2)
                .keeps(count: 512)
        }
        let base = mask(step: 3, sample: 7, layer: 1)
        #expect(mask(step: 3, sample: 7, layer: 1) == base)
        #expect(mask(step: 3, sample: 8, layer: 1) != base)
        #expect(mask(step: 4, sample: 7, layer: 1) != base)
        #expect(mask(step: 3, sample: 7, layer: 2) != base)
    }

    @Test func applyMatchesTheKeptUnits() {
        let mask = DropoutMask(generator: Self.generator, step: 9, sample: 1, layer: 0, keepProbability: 0.8, scale: 1.25)
        let keeps = mask.keeps(count: 37)
        var x = (0..<37).map { Float($0) + 1 }
        x.withUnsafeMutableBufferPointer { mask.apply(to: $0.baseAddress!, count: 37) }
        #expect(x == (0..<37).map { keeps[$0] ? (Float($0) + 1) * 1.25 : 0 })

        var z: [Float] = (0..<37).map { Float($0 % 5) - 2 }
        let bias = [Float](repeating: 0.5, count: 37)
        z.withUnsafeMutableBufferPointer { zp in bias.withUnsafeBufferPointer { mask.applyBiasReLU(to: zp.baseAddress!, bias: $0.baseAddress!, count: 37) } }
        #expect(z == (0..<37).map { keeps[$0] ? max(Float($0 % 5) - 2 + 0.5, 0) * 1.25 : 0 })
    }

    /// Every kind of unit mask multiplies as it says — a drawn one as its `DropoutMask`, a given
    /// one by its bits, a scale every unit — in the input pass and in the fused bias–ReLU pass
    /// (whole blocks of 4 units and a remainder).
    @Test func unitMasksMultiplyAsTheySay() {
        let drawn = DropoutMask(generator: Self.generator, step: 2, sample: 5, layer: 1, keepProbability: 0.5, scale: 2)
        let bits: UInt64 = 0b101_1001_0110
        let cases: [(UnitMask, (Int) -> Float)] = [
            (.drawn(drawn), { drawn.keeps(count: 11)[$0] ? 2 : 0 }),
            (.given(keeps: bits, scale: 1.25), { bits >> UInt64($0) & 1 == 1 ? 1.25 : 0 }),
            (.scale(0.5), { _ in 0.5 }),
            (.scale(1), { _ in 1 }),
        ]
        let bias = [Float](repeating: 0.5, count: 11)
        for (mask, multiplier) in cases {
            let source = (0..<11).map { Float($0) - 4 }
            var x = source
            x.withUnsafeMutableBufferPointer { mask.apply(from: $0.baseAddress!, to: $0.baseAddress!, count: 11) }
            #expect(x == (0..<11).map { (Float($0) - 4) * multiplier($0) }, "\(mask)")
            // The same as a copy into another row (the input phase's image into its row).
            var copied = [Float](repeating: 99, count: 11)
            copied.withUnsafeMutableBufferPointer { mask.apply(from: source, to: $0.baseAddress!, count: 11) }
            #expect(copied == x, "\(mask), copied")
            var z = (0..<11).map { Float($0) - 4 }
            z.withUnsafeMutableBufferPointer { zp in
                bias.withUnsafeBufferPointer { mask.applyBiasReLU(to: zp.baseAddress!, bias: $0.baseAddress!, units: 0..<11) }
            }
            #expect(z == (0..<11).map { max(Float($0) - 4 + 0.5, 0) * multiplier($0) }, "\(mask)")
        }
    }

    /// Enumerating every mask of a small linear layer: the expected training pre-activation
    /// equals the prediction pre-activation for inverted and vanilla dropout — the weight-scaling
    /// rule is exact for one linear layer.
    @Test(arguments: [DropoutKind.inverted, .vanilla])
    func weightScalingIsExactForOneLinearLayer(kind: DropoutKind) {
        let model = ModelConfiguration(layers: [6, 3], dropout: kind, inputDropRate: 0.25, hiddenDropRate: 0.5,
                                       initialization: .xavier)
        let w = model.initialParameters(seed: 5).map(Double.init)
        let x: [Double] = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2]
        let q = Double(model.keepProbability(layer: 0))
        let scale = Double(model.trainingScale(layer: 0)), predict = Double(model.predictionScale(layer: 0))
        for o in 0..<3 {
            var expected = 0.0
            for bits in 0..<(1 << 6) {
                var probability = 1.0, s = 0.0
                for i in 0..<6 {
                    let kept = bits >> i & 1 == 1
                    probability *= kept ? q : 1 - q
                    if kept { s += w[o * 6 + i] * x[i] * scale }
                }
                expected += probability * s
            }
            let prediction = (0..<6).map { w[o * 6 + $0] * x[$0] * predict }.reduce(0, +)
            // Exact but for the Float rounding of the scale 1/q (relative 6e-8).
            #expect(abs(expected - prediction) <= 1e-7 * abs(prediction) + 1e-12, "output \(o): E[train] \(expected), predict \(prediction)")
        }
    }
}
