import CShardKitCRC32C
public import Foundation  // ContiguousBytes in the generic conveniences
public import ShardKitSupport  // KernelTier in the per-tier entry points

/// CRC-32C (Castagnoli), as TFRecord framing uses it, and TFRecord's checksum mask.
///
/// All functions work on finished CRC values (initial value and final xor 0xFFFFFFFF applied), so
/// `extend(checksum(a), b) == checksum(a + b)`.
public enum CRC32C {
    /// The CRC-32C of `bytes`. The corresponding C function is `shardkit_crc32c_extend`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        extend(0, bytes)
    }

    /// The CRC-32C of any contiguous bytes (`[UInt8]`, `Data`, ...).
    @inlinable
    public static func checksum<C: ContiguousBytes>(_ bytes: C) -> UInt32 {
        bytes.withUnsafeBytes { extend(0, $0) }
    }

    /// Continues `crc` (a finished CRC, 0 for none yet) over `bytes`.
    public static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return shardkit_crc32c_extend(crc, base, bytes.count)
    }

    /// Continues `crc` over any contiguous bytes.
    @inlinable
    public static func extend<C: ContiguousBytes>(_ crc: UInt32, _ bytes: C) -> UInt32 {
        bytes.withUnsafeBytes { extend(crc, $0) }
    }

    /// The table-driven (slicing-by-8) computation, whatever the CPU offers; for tests.
    /// The corresponding C function is `shardkit_crc32c_extend_portable`.
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return shardkit_crc32c_extend_portable(crc, base, bytes.count)
    }

    /// Continues `crc` over `bytes` with the implementation of kernel tier `tier` (for tests and
    /// benchmarks). A tier this process may not run (see `CPUFeatures.runs`) is clamped to the tier
    /// in force by CShardKitCPU, so this never executes instructions the CPU or `SHARDKIT_ISA`
    /// rules out. The corresponding C function is `shardkit_crc32c_extend_tier`.
    public static func checksum(tier: KernelTier, _ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0)
        -> UInt32
    {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return shardkit_crc32c_extend_tier(Int32(tier.rawValue), crc, base, bytes.count)
    }

    /// Whether `checksum` runs on CPU CRC instructions (any kernel tier but portable).
    public static var usesHardware: Bool { shardkit_crc32c_hardware_available() != 0 }

    /// The implementation `checksum` uses in this process (for `shardkit --version`).
    public static var kernelName: String { String(cString: shardkit_crc32c_kernel_name()) }

    /// The implementation `checksum(tier:_:extending:)` runs for `tier` (after clamping).
    public static func kernelName(tier: KernelTier) -> String {
        String(cString: shardkit_crc32c_tier_kernel_name(Int32(tier.rawValue)))
    }

    /// TFRecord's mask: rotate right by 15 bits, then add 0xA282EAD8 (wrapping).
    @inlinable
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ maskDelta
    }

    /// The inverse of `mask`.
    @inlinable
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rotated = masked &- maskDelta
        return (rotated >> 17) | (rotated << 15)
    }

    @usableFromInline
    static let maskDelta: UInt32 = 0xA282_EAD8
}
