// swift-tools-version: 6.1
// Thinned: a multithreaded per-sample gradient engine (see README.md).

import PackageDescription

let package = Package(
    name: "Thinned",
    // Built and tested on Linux only (see README, Platforms). On macOS this is only the minimum
    // deployment target, the first with the Synchronization module's `Atomic` (the pool, the stop signal).
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Thinned", targets: ["Thinned"]),
        .library(name: "Parallel", targets: ["Parallel"]),
        .executable(name: "thinned", targets: ["thinned"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Data-parallel training over MPI (mpirun, srun): `swift build --traits MPI`, with Open MPI from Debian (libopenmpi-dev; Tools/setup --mpi installs it)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.4.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // System libraries (Debian: libhwloc-dev, libopenblas-dev; Tools/setup installs them).
        .systemLibrary(
            name: "CHwloc",
            pkgConfig: "hwloc",
            providers: [.apt(["libhwloc-dev"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Open MPI (Debian: libopenmpi-dev), for the MPI trait only.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Counts heap allocations with glibc; linked into the executable only (see counter.c).
        .target(name: "CAllocationCounter"),
        // C kernels with an AVX-512 path chosen at run time, each with the same bits as its portable
        // twin: dropout multipliers and Gaussian noise from Philox, Adam, squared norms for clipping,
        // the exact reduction's bounds and integer tiles.
        .target(name: "CKernels"),
        // The spin-wait and prefetch hints and the other words Swift lacks; header only.
        .systemLibrary(name: "CSupport"),

        // Owns every thread: hwloc topology, placement, the pinned worker pool.
        .target(
            name: "Parallel",
            dependencies: [
                "CHwloc",
                "CSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The engine.
        .target(
            name: "Thinned",
            dependencies: [
                "Parallel", "CBLAS", "CZlib", "CKernels", "CSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // The command-line tool: parse, validate, print (and the PNG of `augment --preview`).
        .executableTarget(
            name: "thinned",
            dependencies: [
                "Thinned",
                "Parallel",
                "CAllocationCounter",
                "CZlib",
                .target(name: "CMPI", condition: .when(traits: ["MPI"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ParallelTests", dependencies: ["Parallel"]),
        .testTarget(name: "ThinnedTests", dependencies: ["Thinned", "Parallel", "CKernels"]),
        .testTarget(name: "thinnedTests", dependencies: ["thinned", "Thinned", "Parallel"]),

        .executableTarget(
            name: "ParallelBenchmarks",
            dependencies: [
                "Parallel",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ParallelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TrainingBenchmarks",
            dependencies: [
                "Thinned",
                "Parallel",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TrainingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
