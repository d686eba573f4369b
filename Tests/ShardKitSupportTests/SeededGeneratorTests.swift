import Testing

@testable import ShardKitSupport

@Suite struct SeededGeneratorTests {
    @Test func sameSeedAndKeySameDraws() {
        var a = RecordKey("train/000123").generator(seed: 7)
        var b = RecordKey("train/000123").generator(seed: 7)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        var c = RecordKey("train/000124").generator(seed: 7)
        #expect(xs != (0..<8).map { _ in c.next() })
        var d = RecordKey("train/000123").generator(seed: 8)
        #expect(xs != (0..<8).map { _ in d.next() })
    }

    /// Pinned values: the stream must never change between releases (recorded shards depend on it).
    @Test func pinnedValues() {
        #expect(RecordKey("").value == 0xCBF2_9CE4_8422_2325)
        #expect(RecordKey("a").value == 0xAF63_DC4C_8601_EC8C)
        var g = RecordKey(0).generator(seed: 0)
        let first = g.next()
        var h = RecordKey(0).generator(seed: 0)
        #expect(h.next() == first)
        #expect(first == SeededGeneratorTests.pinnedFirst)
    }
    static let pinnedFirst: UInt64 = 17_262_234_736_060_871_183

    /// The trainer's plain stream (weights, dropout): SplitMix64 of the seed, then xoshiro256**.
    @Test func plainSeedStreamIsPinnedAndResumable() {
        var g = SeededGenerator(seed: 42)
        let first = (0..<3).map { _ in g.next() }
        var h = SeededGenerator(seed: 42)
        #expect((0..<3).map { _ in h.next() } == first)
        let saved = g.stateString
        let next = g.next()
        var restored = SeededGenerator(seed: 0)
        let restoredOK = restored.restore(from: saved)
        #expect(restoredOK)
        #expect(restored.next() == next)
        let malformedOK = restored.restore(from: "1,2,3")
        #expect(!malformedOK)
    }

    @Test func drawsOfWeightsAreInRange() {
        var g = SeededGenerator(seed: 5)
        let u = (0..<10_000).map { _ in Draw.unitFloat(using: &g) }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let n = (0..<10_000).map { _ in Double(Draw.normal(using: &g)) }
        let mean = n.reduce(0, +) / 10_000
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 10_000
        #expect(abs(mean) < 0.05 && abs(variance - 1) < 0.05)
        var indices: [Int] = []
        for _ in 0..<1000 { indices.append(Draw.index(below: 7, using: &g)) }
        #expect(Set(indices) == Set(0..<7))
    }

    @Test func drawsAreUniformEnough() {
        var g = RecordKey(2).generator(seed: 1)
        var counts = [Int](repeating: 0, count: 11)
        for _ in 0..<11_000 { counts[Draw.int(through: 10, using: &g)] += 1 }
        #expect(counts.allSatisfy { (800...1200).contains($0) })
        let u = (0..<10_000).map { _ in Draw.uniform(-0.3, 0.3, using: &g) }
        #expect(u.allSatisfy { $0 >= -0.3 && $0 < 0.3 })
        #expect(abs(u.reduce(0, +) / 10_000) < 0.01)
    }
}
