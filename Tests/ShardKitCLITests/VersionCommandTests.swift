import Foundation
import TestSupport
import Testing

/// `shardkit --version` names the kernel tier in force and each piece's kernel; SHARDKIT_ISA caps
/// the tier (decided once per process, so each cap is tried in a fresh process).
@Suite struct VersionCommandTests {
    static let tiers = ["portable", "avx2", "avx512"]

    static func tier(_ result: ShardKitProcess.Result) -> String {
        let line = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("kernel tier: ") } ?? ""
        return line.dropFirst("kernel tier: ".count).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func versionNamesTheTierAndEveryKernel() throws {
        let result = try ShardKitProcess.run(["--version"], environment: ["SHARDKIT_ISA": nil])
        #expect(result.status == 0)
        #expect(!Self.tier(result).isEmpty)
        for piece in ["crc32c: ", "gemm: ", "elementwise: ", "sha256: "] {
            #expect(result.standardOutput.contains(piece), "no \(piece) line in \(result.standardOutput)")
        }
    }

    @Test("SHARDKIT_ISA lowers the tier and never raises it", arguments: ["portable", "avx2", "avx512", "armv8"])
    func capLowersTheTier(cap: String) throws {
        let uncapped = Self.tier(try ShardKitProcess.run(["--version"], environment: ["SHARDKIT_ISA": nil]))
        let capped = try ShardKitProcess.run(["--version"], environment: ["SHARDKIT_ISA": cap])
        #expect(capped.status == 0)
        #if arch(x86_64)
            let order = Self.tiers
        #else
            let order = ["portable", "armv8"]
        #endif
        let best = try #require(order.firstIndex(of: uncapped))
        if let wanted = order.firstIndex(of: cap) {
            #expect(Self.tier(capped) == order[min(wanted, best)])
            #expect(capped.standardError.isEmpty)
        } else {
            #expect(Self.tier(capped) == uncapped)
            #expect(capped.standardError.contains("SHARDKIT_ISA=\(cap) names no kernel tier"))
        }
    }

    /// The CPUs the process may use follow its affinity mask (`taskset`, a Slurm task's binding),
    /// never more than `nproc` (which reads the same mask) counts, fewer under a cgroup quota.
    @Test func cpusAvailableFollowTheAffinityMask() throws {
        func cpus(_ arguments: [String], _ executable: String) throws -> Int? {
            let text = try standardOutput(of: executable, arguments)
            let line = text.split(separator: "\n").first { $0.hasPrefix("cpus available: ") }
            return line.flatMap { Int($0.dropFirst("cpus available: ".count).prefix { $0.isNumber }) }
        }
        let all = try #require(try cpus(["--version"], ShardKitProcess.binary.path))
        let nproc = try #require(
            Int(try standardOutput(of: "/usr/bin/nproc", []).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect((1...nproc).contains(all), "\(all) CPUs reported, nproc says \(nproc)")
        #expect(try cpus(["-c", "0", ShardKitProcess.binary.path, "--version"], "/usr/bin/taskset") == 1)
    }

    @Test func anUnknownCapIsIgnoredWithAWarning() throws {
        let result = try ShardKitProcess.run(["--version"], environment: ["SHARDKIT_ISA": "sse9"])
        #expect(result.status == 0)
        #expect(result.standardError.contains("SHARDKIT_ISA=sse9 names no kernel tier"))
    }
}
