import RecordIO
import ShardKitSupport
import Trainer

/// What `shardkit --version` prints: the version, the kernel tier in force, and which kernel each
/// piece with more than one implementation uses on this CPU, and the CPUs this process may use.
enum VersionText {
    static let number = "0.1.0"

    static var text: String {
        let capped = CPUFeatures.tier != CPUFeatures.cpuTier ? ", capped by SHARDKIT_ISA" : ""
        return """
            shardkit \(number)
            kernel tier: \(CPUFeatures.tier) (this CPU: \(CPUFeatures.cpuTier)\(capped))
            crc32c: \(CRC32C.kernelName)
            gemm: \(gemmKernelName)
            elementwise: \(elementwiseKernelName)
            sha256: \(SHA256Hasher.kernelName)
            cpus available: \(AvailableCPUs.count) (affinity mask and cgroup quota)
            """
    }
}
