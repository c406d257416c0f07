import CKernels
import Foundation
import Testing
@testable import Thinned

/// The optimizers' update kernels (`CKernels`, optimizer_updates.h) on each of their paths
/// against the update written out here in Swift, one IEEE operation at a time: every bit of θ and
/// of the optimizer's state, for counts that leave remainders after the sixteen-lane groups, on
/// values over many magnitudes and of both signs (including zero gradients).
@Suite struct OptimizerKernelTests {
    static let counts = [0, 1, 15, 16, 17, 31, 33, 100, 1027]

    /// `count` values of magnitudes 2⁻³⁰ … 2⁹ and both signs, every seventh 0 where `zeros`.
    static func values(_ count: Int, seed: UInt64, zeros: Bool = false) -> [Float] {
        var stream = RandomStream(Philox(seed: seed), .shuffle)
        return (0..<count).map { j in
            let magnitude = Float(sign: .plus, exponent: Int(stream.nextInt(below: 40)) - 30, significand: 1 + stream.nextUniform())
            if zeros && j % 7 == 0 { return 0 }
            return stream.next() & 1 == 0 ? magnitude : -magnitude
        }
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    static let hasAVX512 = thinned_cpu_has_avx512f() == 1

    @Test(arguments: counts)
    func everySGDPathIsSGDBitForBit(count: Int) {
        let theta = Self.values(count, seed: 1), gradient = Self.values(count, seed: 2, zeros: true)
        let rate: Float = 0.1
        let expected = (0..<count).map { theta[$0] - rate * gradient[$0] }
        var dispatched = theta, portable = theta, wide = theta
        thinned_sgd_update(count, &dispatched, gradient, rate)
        thinned_sgd_update_portable(count, &portable, gradient, rate)
        #expect(Self.bits(dispatched) == Self.bits(expected), "dispatched (AVX-512: \(Self.hasAVX512))")
        #expect(Self.bits(portable) == Self.bits(expected), "portable")
        // The AVX-512 path by itself, so that a change to it cannot pass on the portable path
        // that a machine without AVX-512 dispatches to.
        if thinned_sgd_update_avx512(count, &wide, gradient, rate) == 1 {
            #expect(Self.bits(wide) == Self.bits(expected), "AVX-512")
        } else {
            #expect(!Self.hasAVX512 && Self.bits(wide) == Self.bits(theta), "no AVX-512: nothing changed")
        }
    }

    @Test(arguments: counts)
    func everyMomentumPathIsMomentumBitForBit(count: Int) {
        let theta = Self.values(count, seed: 3), gradient = Self.values(count, seed: 4, zeros: true)
        let velocity = Self.values(count, seed: 5)
        let mu: Float = 0.9, rate: Float = 0.05
        var expectedTheta = theta, expectedVelocity = velocity
        for j in 0..<count {
            expectedVelocity[j] = mu * velocity[j] + gradient[j]
            expectedTheta[j] = theta[j] - rate * expectedVelocity[j]
        }
        var t = (theta, theta, theta), v = (velocity, velocity, velocity)
        thinned_momentum_update(count, &t.0, gradient, &v.0, mu, rate)
        thinned_momentum_update_portable(count, &t.1, gradient, &v.1, mu, rate)
        let wide = thinned_momentum_update_avx512(count, &t.2, gradient, &v.2, mu, rate) == 1
        for (name, theta, velocity) in [("dispatched", t.0, v.0), ("portable", t.1, v.1)] + (wide ? [("AVX-512", t.2, v.2)] : []) {
            #expect(Self.bits(theta) == Self.bits(expectedTheta), "\(name) (AVX-512: \(Self.hasAVX512)): θ")
            #expect(Self.bits(velocity) == Self.bits(expectedVelocity), "\(name): v")
        }
        if !wide { #expect(!Self.hasAVX512 && Self.bits(t.2) == Self.bits(theta) && Self.bits(v.2) == Self.bits(velocity)) }
    }

    @Test(arguments: counts)
    func everyAdamPathIsAdamBitForBit(count: Int) {
        let gradient = Self.values(count, seed: 6, zeros: true)
        let theta = Self.values(count, seed: 7), m = Self.values(count, seed: 8), v = Self.values(count, seed: 9).map(abs)
        let b1: Float = 0.9, b2: Float = 0.999, size: Float = 0.001 / (1 - 0.9 * 0.9), root: Float = 1 / (1 - 0.999 * 0.999).squareRoot()
        let eps: Float = 1e-8
        // The oracle: the update as DESIGN.md's Adam, written out.
        var expectedTheta = theta, expectedM = m, expectedV = v
        for j in 0..<count {
            let g = gradient[j]
            let mj = b1 * m[j] + (1 - b1) * g
            let vj = b2 * v[j] + (1 - b2) * g * g
            expectedM[j] = mj
            expectedV[j] = vj
            expectedTheta[j] = theta[j] - size * mj / (vj.squareRoot() * root + eps)
        }
        var t = (theta, theta, theta), mm = (m, m, m), vv = (v, v, v)
        thinned_adam_update(count, &t.0, gradient, &mm.0, &vv.0, b1, 1 - b1, b2, 1 - b2, size, root, eps)
        thinned_adam_update_portable(count, &t.1, gradient, &mm.1, &vv.1, b1, 1 - b1, b2, 1 - b2, size, root, eps)
        let wide = thinned_adam_update_avx512(count, &t.2, gradient, &mm.2, &vv.2, b1, 1 - b1, b2, 1 - b2, size, root, eps) == 1
        for (name, theta, m, v) in [("dispatched", t.0, mm.0, vv.0), ("portable", t.1, mm.1, vv.1)] + (wide ? [("AVX-512", t.2, mm.2, vv.2)] : []) {
            #expect(Self.bits(theta) == Self.bits(expectedTheta), "\(name) (AVX-512: \(Self.hasAVX512)): θ")
            #expect(Self.bits(m) == Self.bits(expectedM), "\(name): m")
            #expect(Self.bits(v) == Self.bits(expectedV), "\(name): v")
        }
        if !wide { #expect(!Self.hasAVX512 && Self.bits(t.2) == Self.bits(theta)) }
    }

    /// `OptimizerUpdate.apply` over a range that starts inside the buffers, for each rule, against
    /// the rule written out (DESIGN.md) with μ and ρ distinct, at step 3: the wrapper passes each
    /// hyper-parameter to its place, updates exactly the range, and leaves the rest alone.
    @Test(arguments: [OptimizerKind.sgd, .momentum, .adam])
    func theUpdateAppliesItsRuleToItsRange(kind: OptimizerKind) {
        var configuration = OptimizerConfiguration(kind: kind, learningRate: 0.05)
        configuration.momentum = 0.7
        let step = 3, count = 70, range = 5..<61
        let update = configuration.update(step: step)
        let theta = Self.values(count, seed: 11), gradient = Self.values(count, seed: 12, zeros: true)
        let first = Self.values(count, seed: 13), second = Self.values(count, seed: 14).map(abs)
        var expectedTheta = theta, expectedFirst = first, expectedSecond = second
        let rate = configuration.learningRate, mu = configuration.momentum
        let b1 = configuration.beta1, b2 = configuration.beta2, eps = configuration.epsilon
        let size = Float(Double(rate) / (1 - pow(Double(b1), Double(step))))
        let root = Float(1 / (1 - pow(Double(b2), Double(step))).squareRoot())
        for j in range {
            let g = gradient[j]
            switch kind {
            case .sgd:
                expectedTheta[j] = theta[j] - rate * g
            case .momentum:
                expectedFirst[j] = mu * first[j] + g
                expectedTheta[j] = theta[j] - rate * expectedFirst[j]
            case .adam:
                expectedFirst[j] = b1 * first[j] + (1 - b1) * g
                expectedSecond[j] = b2 * second[j] + (1 - b2) * g * g
                expectedTheta[j] = theta[j] - size * expectedFirst[j] / (expectedSecond[j].squareRoot() * root + eps)
            }
        }
        var t = theta, m = first, v = second
        t.withUnsafeMutableBufferPointer { t in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in
                        update.apply(range, theta: t.baseAddress!, gradient: g.baseAddress!, first: kind == .sgd ? nil : m.baseAddress!,
                                     second: kind == .adam ? v.baseAddress! : nil)
                    }
                }
            }
        }
        #expect(Self.bits(t) == Self.bits(expectedTheta), "\(kind): θ")
        #expect(Self.bits(m) == Self.bits(expectedFirst), "\(kind): the momentum buffer or m")
        #expect(Self.bits(v) == Self.bits(expectedSecond), "\(kind): v")
    }
}
