/// Explicit SIMD for the elementwise kernels the compiler does not vectorise by itself
/// (loops over several raw pointers that might alias): the one set of unaligned loads and
/// stores they all use, eight lanes wide (`Vector`) or as wide as the loop needs (the masking
/// loops work on `SIMD4<Float>`, the four units of one Philox block).
enum Lanes {
    typealias Vector = SIMD8<Float>
    static let width = 8

    /// Eight lanes from `p` (any alignment).
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        load(p, as: Vector.self)
    }

    /// Eight lanes from `p` (any alignment).
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        load(p, as: Vector.self)
    }

    /// The lanes of `V` from `p` (any alignment).
    @inline(__always)
    static func load<V: SIMD>(_ p: UnsafePointer<Float>, as _: V.Type) -> V where V.Scalar == Float {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    /// Stores the lanes of `x` at `p` (any alignment).
    @inline(__always)
    static func store<V: SIMD>(_ x: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: V.self)
    }
}
