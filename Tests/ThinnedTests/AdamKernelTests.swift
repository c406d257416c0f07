import CKernels
import Testing
@testable import Thinned

/// The Adam kernel (`CKernels`) on both of its paths against Adam written out here in Swift, one
/// IEEE operation at a time: every bit of θ, m and v, for counts that leave remainders after the
/// sixteen-lane groups, on values over many magnitudes (including zero gradients).
@Suite struct AdamKernelTests {
    typealias Kernel = @Sendable (Int, UnsafeMutablePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?,
                                  UnsafeMutablePointer<Float>?, Float, Float, Float, Float, Float, Float, Float) -> Void

    static let kernels: [(String, Kernel)] = [
        ("dispatched", { thinned_adam_update($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) }),
        ("portable", { thinned_adam_update_portable($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) }),
    ]

    /// The AVX-512 path by itself, so that a change to it cannot pass on the portable path that a
    /// machine without AVX-512 dispatches to; on such a machine it is skipped, saying so.
    @Test(.enabled(if: thinned_cpu_has_avx512f() == 1, "this CPU has no AVX-512: its path cannot run here"),
          arguments: [0, 1, 15, 16, 17, 100, 1027])
    func theAVX512PathIsAdamBitForBit(count: Int) throws {
        var theta: [Float] = (0..<count).map { j in Float(j % 13) * 0.37 - 2 }
        var m: [Float] = (0..<count).map { j in Float(j % 5) * 0.01 }
        var v: [Float] = (0..<count).map { j in Float(j % 7) * 0.003 }
        let gradient: [Float] = (0..<count).map { j in j % 3 == 0 ? 0 : Float(j % 11) * 0.021 - 0.1 }
        var t2 = theta, m2 = m, v2 = v
        let wide = thinned_adam_update_avx512(count, &theta, gradient, &m, &v, 0.9, 0.1, 0.999, 0.001, 0.0053, 22.4, 1e-8)
        thinned_adam_update_portable(count, &t2, gradient, &m2, &v2, 0.9, 0.1, 0.999, 0.001, 0.0053, 22.4, 1e-8)
        #expect(wide == 1)
        #expect(theta.map(\.bitPattern) == t2.map(\.bitPattern), "θ")
        #expect(m.map(\.bitPattern) == m2.map(\.bitPattern), "m")
        #expect(v.map(\.bitPattern) == v2.map(\.bitPattern), "v")
    }

    @Test(arguments: [0, 1, 15, 16, 17, 100, 1027])
    func bothPathsAreAdamBitForBit(count: Int) {
        var stream = RandomStream(Philox(seed: 3), .shuffle)
        func value() -> Float {
            let magnitude = Float(sign: .plus, exponent: Int(stream.nextInt(below: 40)) - 30, significand: 1 + stream.nextUniform())
            return stream.next() & 1 == 0 ? magnitude : -magnitude
        }
        let gradient = (0..<count).map { $0 % 7 == 0 ? 0 : value() }
        let theta = (0..<count).map { _ in value() }, m = (0..<count).map { _ in value() }
        let v = (0..<count).map { _ in abs(value()) }
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
        for (name, kernel) in Self.kernels {
            var t = theta, mm = m, vv = v
            kernel(count, &t, gradient, &mm, &vv, b1, 1 - b1, b2, 1 - b2, size, root, eps)
            #expect(t.map(\.bitPattern) == expectedTheta.map(\.bitPattern), "\(name) (AVX-512: \(thinned_cpu_has_avx512f())): θ")
            #expect(mm.map(\.bitPattern) == expectedM.map(\.bitPattern), "\(name): m")
            #expect(vv.map(\.bitPattern) == expectedV.map(\.bitPattern), "\(name): v")
        }
    }
}
