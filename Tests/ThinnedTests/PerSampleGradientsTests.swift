import Foundation
import Testing
import Parallel
@testable import Thinned

/// The exported per-sample gradients against finite differences of each sample's own loss, with
/// a step's masks and with none.
@Suite(.serialized) struct PerSampleGradientsTests {
    /// (DropConnect's per-sample path is `LiteralStep.sampleGradient`'s, which `GradientTests`
    /// checks the same way.)
    @Test(arguments: [PerSampleGradients.MaskChoice.step(4), .none], [DropoutKind.inverted, .vanilla])
    func gradientsMatchFiniteDifferences(masks: PerSampleGradients.MaskChoice, dropout: DropoutKind) throws {
        var model = Fixture.model
        model.dropout = dropout
        let seed: UInt64 = 11, data = Fixture.data.train
        let theta = model.initialParameters(seed: seed)
        // More samples than a window, so that the second window's positions count on.
        let samples: [Int32] = (0..<(PerSampleGradients.window + 3)).map { Int32(($0 * 7) % data.count) }
        let pool = try Fixture.pool(threads: 2, bind: .none)
        var seen = 0, checked = 0
        try PerSampleGradients(model: model, seed: seed, pool: pool).compute(samples, of: data, parameters: theta, masks: masks) { window in
            #expect(window.first == seen)
            for k in 0..<window.losses.count {
                let position = window.first + k, item = Int(samples[position])
                let reference = switch masks {
                case let .step(step): ReferenceNetwork(model: model, seed: seed, step: step, sample: position)
                case .none: ReferenceNetwork.weightScaled(model)
                }
                let image = (0..<7).map { Double(data.images[item * 7 + $0]) }, label = Int(data.labels[item])
                var point = theta.map(Double.init)
                #expect(abs(Double(window.losses[k]) - reference.loss(parameters: point, image: image, label: label)) < 1e-5)
                var squared = 0.0
                for j in 0..<point.count {
                    let analytic = Double(window.gradients[k * point.count + j])
                    squared += analytic * analytic
                    let (numeric, kink) = reference.slope(at: &point, j, image: image, label: label, h: GradientTests.finiteDifferenceStep)
                    if kink { continue }
                    checked += 1
                    #expect(abs(analytic - numeric) <= GradientTests.absoluteTolerance + GradientTests.relativeTolerance * abs(numeric),
                            "sample \(position), parameter \(j)")
                }
                #expect(abs(Double(window.norms[k]) - squared.squareRoot()) <= 1e-5 * max(1, squared.squareRoot()))
            }
            seen += window.losses.count
        }
        #expect(seen == samples.count)
        // Kinks are rare: almost every derivative was compared.
        #expect(checked >= samples.count * theta.count * 99 / 100, "\(checked) of \(samples.count * theta.count) compared")
    }
}
