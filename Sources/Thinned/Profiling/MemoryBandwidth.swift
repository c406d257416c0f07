#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Parallel

/// Sustainable memory bandwidth, measured as STREAM measures it (McCalpin, "Memory bandwidth and
/// machine balance in current high performance computers", IEEE TCCA Newsletter 1995): the
/// *triad* a[i] = b[i] + s·c[i] on Float arrays much larger than the last-level cache, best of
/// several repetitions.
///
/// Bytes are counted as STREAM counts them: 12 per element (b and c read, a written), without
/// the write-allocate read of a that a cache without streaming stores adds — so on such a machine
/// the traffic on the bus is 16 bytes per element and the figure understates it by a quarter,
/// which is also what the step's own stores see.
///
/// Each worker of the pool first touches, then streams, its own contiguous part of the arrays
/// (part w of P: elements ⌊w·n/P⌋ … , whole cache lines), so on a NUMA machine every worker reads
/// its own node's memory, as the step's workers do.
public struct MemoryBandwidth: Sendable, Codable, Equatable {
    /// Bytes counted per element of a triad: two Floats read, one written.
    public static let bytesPerElement = 12
    /// The triad's scalar (STREAM's).
    public static let scalar: Float = 3

    /// The pool's worker count.
    public let workers: Int
    /// Elements of each of the three arrays.
    public let elements: Int
    /// Timed repetitions of the triad over the whole arrays.
    public let repetitions: Int
    /// The fastest repetition's wall time, in seconds.
    public let bestSeconds: Double
    /// 12 bytes × elements / `bestSeconds`, in GB/s (10⁹ bytes).
    public let gigabytesPerSecond: Double

    /// a[i] = b[i] + s·c[i] for every i in `range`: the STREAM triad.
    /// - Complexity: O(range.count); memory-bound.
    public static func triad(a: UnsafeMutablePointer<Float>, b: UnsafePointer<Float>, c: UnsafePointer<Float>,
                             scalar s: Float, range: Range<Int>) {
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            let x = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            let y = UnsafeRawPointer(c + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(a + i).storeBytes(of: x + s * y, as: SIMD16<Float>.self)
            i += 16
        }
        while i < range.upperBound {
            a[i] = b[i] + s * c[i]
            i += 1
        }
    }

    /// Worker `worker`'s part of `elements` on `workers` workers: contiguous, cut on multiples of
    /// 16 elements (64 bytes, one cache line) so that no two workers write the same line.
    public static func part(_ worker: Int, of workers: Int, elements: Int) -> Range<Int> {
        let lines = (elements + 15) / 16
        func start(_ w: Int) -> Int { min(elements, lines * w / workers * 16) }
        return start(worker)..<start(worker + 1)
    }

    /// Elements per array for a machine: each array 4 × the last-level caches together (STREAM's
    /// rule), so that no repetition is served from cache; 64 MiB at least, and 256 MiB where the
    /// cache sizes are unknown — but the three arrays together never more than a quarter of
    /// `memoryBytes`, the machine's physical memory, when it is known.
    public static func arrayElements(lastLevelCacheBytes: Int?, memoryBytes: Int? = nil) -> Int {
        var bytes = lastLevelCacheBytes.map { max(4 * $0, 64 << 20) } ?? 256 << 20
        if let memoryBytes, memoryBytes > 0 { bytes = min(bytes, memoryBytes / 12) }
        return max(1, bytes / MemoryLayout<Float>.stride)
    }

    /// The machine's physical memory in bytes (`sysconf`), when it can be read.
    public static var physicalMemoryBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : nil
    }

    /// Measures the triad on every worker of `pool`, `repetitions` times after one untimed pass,
    /// on arrays of `elements` Floats; nil when the three arrays cannot be allocated.
    public static func measure(on pool: WorkerPool, elements: Int, repetitions: Int = 5) -> MemoryBandwidth? {
        precondition(elements >= 1 && repetitions >= 1, "MemoryBandwidth.measure: \(elements) elements, \(repetitions) repetitions")
        let bytes = elements * MemoryLayout<Float>.stride
        // malloc, not `allocate`: a refusal (a tight `ulimit -v`) is an answer here, not a crash.
        // Nothing is written by the calling thread: the workers touch the pages first.
        guard let a = malloc(bytes) else { return nil }
        defer { free(a) }
        guard let b = malloc(bytes) else { return nil }
        defer { free(b) }
        guard let c = malloc(bytes) else { return nil }
        defer { free(c) }
        let x = a.bindMemory(to: Float.self, capacity: elements), y = b.bindMemory(to: Float.self, capacity: elements)
        let z = c.bindMemory(to: Float.self, capacity: elements)
        let workers = pool.count
        pool.broadcast { worker in
            let range = part(worker.index, of: workers, elements: elements)
            (x + range.lowerBound).initialize(repeating: 0, count: range.count)
            (y + range.lowerBound).initialize(repeating: 1, count: range.count)
            (z + range.lowerBound).initialize(repeating: 2, count: range.count)
        }
        var best = Double.infinity
        for repetition in 0...repetitions {
            let start = Clock.seconds()
            pool.broadcast { worker in
                triad(a: x, b: y, c: z, scalar: scalar, range: part(worker.index, of: workers, elements: elements))
            }
            if repetition > 0 { best = min(best, Clock.seconds() - start) }
        }
        // The kernel's result, checked at a few places: a wrong triad would make a fast figure.
        for i in stride(from: 0, to: elements, by: max(1, elements / 64)) {
            precondition(x[i] == 1 + scalar * 2, "MemoryBandwidth: the triad wrote \(x[i]) at \(i), expected \(1 + scalar * 2)")
        }
        return MemoryBandwidth(workers: workers, elements: elements, repetitions: repetitions, bestSeconds: best,
                               gigabytesPerSecond: Double(bytesPerElement * elements) / best / 1e9)
    }
}
