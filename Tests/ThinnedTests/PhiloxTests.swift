import CKernels
import Testing
@testable import Thinned

/// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors).
@Suite struct PhiloxTests {
    typealias Words = (UInt32, UInt32, UInt32, UInt32)

    @Test(arguments: [
        ([0, 0, 0, 0], [0, 0], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]),
        ([0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff],
         [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]),
        ([0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344], [0xa409_3822, 0x299f_31d0],
         [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]),
    ] as [([UInt32], [UInt32], [UInt32])])
    func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
        let output = Philox(key: (key[0], key[1])).block((counter[0], counter[1], counter[2], counter[3]))
        #expect([output.0, output.1, output.2, output.3] == expected)
    }

    @Test func seedSplitsIntoKeyWords() {
        let philox = Philox(seed: 0x299f_31d0_a409_3822)
        #expect(philox.key == (0xa409_3822, 0x299f_31d0))
    }

    @Test func streamWalksBlocksInOrder() {
        let generator = Philox(seed: 7)
        var stream = RandomStream(generator, .dropoutMask, a: 3, b: 5, c: 2)
        let first = stream.words(0), second = stream.words(1)
        let words = (0..<8).map { _ in stream.next() }
        #expect(words == first + second)
        // The counter holds every coordinate: changing any one changes the block.
        let others = [RandomStream(generator, .dropoutMask, a: 4, b: 5, c: 2), RandomStream(generator, .dropoutMask, a: 3, b: 6, c: 2),
                      RandomStream(generator, .dropoutMask, a: 3, b: 5, c: 3), RandomStream(generator, .shuffle, a: 3, b: 5, c: 2),
                      RandomStream(Philox(seed: 8), .dropoutMask, a: 3, b: 5, c: 2)]
        for other in others { #expect(other.words(0) != first) }
    }

    @Test func uniformIsTheTop24BitsExactly() {
        #expect(RandomStream.uniform(0) == 0)
        #expect(RandomStream.uniform(0xffff_ffff) == Float(0xff_ffff) / Float(1 << 24))
        #expect(RandomStream.uniform(0xffff_ffff) < 1)
        #expect(RandomStream.uniform(0x8000_0000) == 0.5)
    }

    @Test func boundedIntegersAreInRangeAndRoughlyUniform() {
        var stream = RandomStream(Philox(seed: 1), .shuffle)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[stream.nextInt(below: 6)] += 1 }
        // Each count is Binomial(60000, 1/6): mean 10000, sd ≈ 91; 6 sd is far beyond chance.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 550 }, "\(counts)")
    }
}

extension RandomStream {
    fileprivate func words(_ index: UInt32) -> [UInt32] {
        let b = block(index)
        return [b.0, b.1, b.2, b.3]
    }
}

/// The wide mask kernel (`CKernels`) against `Philox.block`: every word, on both of its paths,
/// for block counts that leave remainders after the groups of 64 and 16 blocks.
@Suite struct WidePhiloxTests {
    typealias Kernel = @Sendable (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, Float, Int32,
                                  UnsafeMutablePointer<Float>?) -> Void

    static let kernels: [(String, Kernel)] = [("dispatched", { thinned_philox_multipliers($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) }),
                                               // The AVX-512 path by itself (on a machine without it the portable
                                               // path stands in; the message says which the CPU has).
                                               ("AVX-512 (where the CPU has it)", { key0, key1, c0, c1, c2, c3, t, s, n, out in
                                                   if thinned_philox_multipliers_avx512(key0, key1, c0, c1, c2, c3, t, s, n, out) == 0 {
                                                       thinned_philox_multipliers_portable(key0, key1, c0, c1, c2, c3, t, s, n, out)
                                                   }
                                               }),
                                               ("portable", { thinned_philox_multipliers_portable($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) })]

    @Test(arguments: [0, 1, 8, 12, 15, 16, 17, 63, 64, 65, 131, 196], [UInt32(0), 5, 0xffff_fff0])
    func multipliersAreTheScalarWords(blocks: Int, first: UInt32) {
        let generator = Philox(seed: 0x1234_5678_9abc_def0)
        let stream = RandomStream(generator, .dropoutMask, a: 77, b: 13, c: 2)
        let threshold: UInt32 = 0x9999_999a, scale: Float = 1.25
        for (name, kernel) in Self.kernels {
            var out = [Float](repeating: -1, count: 4 * blocks + 4)
            let counter = stream.counter(block: first)
            out.withUnsafeMutableBufferPointer {
                kernel(generator.key.0, generator.key.1, counter.0, counter.1, counter.2, counter.3, threshold, scale,
                       Int32(blocks), $0.baseAddress!)
            }
            var wrong = 0
            for i in 0..<blocks {
                let words = stream.block(first &+ UInt32(i))
                for (w, word) in [words.0, words.1, words.2, words.3].enumerated()
                where out[4 * i + w] != (word < threshold ? scale : 0) { wrong += 1 }
            }
            #expect(wrong == 0, "\(name) (wide path: \(thinned_philox_multipliers_wide())): \(wrong) of \(4 * blocks) multipliers differ")
            // Nothing past the last block is written.
            #expect(out[(4 * blocks)...].allSatisfy { $0 == -1 }, "\(name) wrote past the end")
        }
    }
}
