import Testing

@testable import ShardKitSupport

@Suite("CPU features and the kernel tier in force")
struct CPUFeaturesTests {
    @Test("the tier in force is runnable, and is at or below the CPU's own tier")
    func tierInForceIsRunnable() throws {
        let order = CPUFeatures.tiersOfThisArchitecture
        #expect(CPUFeatures.runs(CPUFeatures.tier))
        #expect(CPUFeatures.runs(.portable))
        let inForce = try #require(order.firstIndex(of: CPUFeatures.tier))
        let best = try #require(order.firstIndex(of: CPUFeatures.cpuTier))
        #expect(inForce <= best)
        for (rank, tier) in order.enumerated() { #expect(CPUFeatures.runs(tier) == (rank <= inForce)) }
    }

    @Test("tiers of another architecture never run, and say why")
    func otherArchitectures() {
        for tier in KernelTier.allCases where !CPUFeatures.tiersOfThisArchitecture.contains(tier) {
            #expect(!CPUFeatures.runs(tier))
            #expect(CPUFeatures.whyNot(tier).contains("another architecture"))
        }
    }
}
