/// Explicit SIMD for the elementwise kernels the compiler does not vectorise by itself
/// (loops over several raw pointers that might alias).
enum Lanes {
    typealias Vector = SIMD8<Float>
    static let width = 8

    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    static func store(_ x: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: Vector.self)
    }
}
