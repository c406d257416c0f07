#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Thinned

/// Warns when OpenBLAS fell back to an old generic kernel on a CPU that has AVX2 or AVX-512
/// (DESIGN.md: Debian's 0.3.21 does not know some newer CPUs and then runs sgemm several times
/// slower). `OPENBLAS_CORETYPE` must be set before the process starts to fix it.
enum BLASCheck {
    static let genericKernels: Set<String> = ["prescott", "core2", "nehalem", "penryn", "dunnington", "atom",
                                              "katmai", "coppermine", "northwood", "banias", "generic", "opteron",
                                              "barcelona", "bobcat", "athlon"]

    static func warnIfGeneric() {
        let core = BLAS.coreName
        guard genericKernels.contains(core.lowercased()),
              let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return }
        let words = Set(flags.split(separator: " ").map(String.init))
        let suggestion = words.contains("avx512f") ? "SkylakeX" : words.contains("avx2") ? "Haswell" : nil
        guard let suggestion else { return }
        StandardError.warn("OpenBLAS runs its \(core) kernel on a CPU with \(suggestion == "SkylakeX" ? "AVX-512" : "AVX2")"
              + (getenv("OPENBLAS_CORETYPE").map { " (OPENBLAS_CORETYPE=\(String(cString: $0)))" } ?? "")
              + "; sgemm may run several times slower. Start thinned with OPENBLAS_CORETYPE=\(suggestion) to use the fast one.")
    }
}
