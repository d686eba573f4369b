import RecordIO
import TestSupport
import ShardKitSupport
import Testing

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let digits = Array("123456789".utf8)
        #expect(digits.withUnsafeBytes { CRC32C.portableChecksum($0) } == 0xE306_9283)
    }

    @Test func extendIsConcatenation() {
        var random = TestBytes(seed: 7)
        let bytes = random.bytes(100_000)
        let whole = CRC32C.checksum(bytes)
        for cut in [0, 1, 7, 8, 255, 769, 24_576, 50_000, 99_999, 100_000] {
            let first = CRC32C.checksum(Array(bytes[..<cut]))
            #expect(CRC32C.extend(first, Array(bytes[cut...])) == whole)
        }
    }

    @Test func hardwareMatchesPortableForEveryLengthAndAlignment() {
        var random = TestBytes(seed: 42)
        let bytes = random.bytes(4096 + 64)
        bytes.withUnsafeBytes { all in
            for length in 0...4096 {
                let alignment = Int(random.next() % 64)
                let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                let fast = CRC32C.checksum(slice)
                let portable = CRC32C.portableChecksum(slice)
                if fast != portable {
                    Issue.record("length \(length) alignment \(alignment): \(fast) != \(portable)")
                    return
                }
            }
        }
    }

    @Test func largeBuffersUseTheInterleavedPathCorrectly() {
        // Lengths around the 3×8192 and 3×256 block sizes of the three-stream hardware loop.
        var random = TestBytes(seed: 3)
        let bytes = random.bytes(3 * 8192 * 3 + 100)
        bytes.withUnsafeBytes { all in
            for length in [767, 768, 769, 24_575, 24_576, 24_577, 49_152 + 768 + 9, all.count - 3] {
                for alignment in [0, 1, 3] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                    #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice))
                }
            }
        }
    }

    @Test func buffersOfAMebibyteAndMoreUseTheStreamingPathCorrectly() {
        var random = TestBytes(seed: 4)
        let bytes = random.bytes((3 << 20) + 5000)
        bytes.withUnsafeBytes { all in
            for length in [(1 << 20) - 1, 1 << 20, (1 << 20) + 767, (3 << 20) + 4321] {
                for alignment in [0, 5] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                    let whole = CRC32C.checksum(slice)
                    #expect(whole == CRC32C.portableChecksum(slice))
                    let half = length / 2
                    let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<half]))
                    #expect(CRC32C.extend(first, UnsafeRawBufferPointer(rebasing: slice[half...])) == whole)
                }
            }
        }
    }

    @Test func hardwareIsUsedExactlyWhenATierAbovePortableIsInForce() {
        #expect(CRC32C.usesHardware == (CPUFeatures.tier != .portable))
        #if arch(x86_64)
            if CPUFeatures.tier != .portable { #expect(CRC32C.usesHardware) }
        #endif
    }

    @Test func kernelNamesFollowTheTierInForce() {
        #expect(CRC32C.kernelName == CRC32C.kernelName(tier: CPUFeatures.tier))
        #expect(CRC32C.kernelName(tier: .portable) == "slicing-by-8")
        for tier in KernelTier.allCases where !CPUFeatures.runs(tier) {
            // Clamped: a tier this process may not run names (and runs) the tier in force.
            #expect(CRC32C.kernelName(tier: tier) == CRC32C.kernelName)
        }
        if CPUFeatures.runs(.avx2) { #expect(CRC32C.kernelName(tier: .avx2) == "pclmulqdq folding + sse4.2") }
        if CPUFeatures.runs(.avx512) {
            #expect(
                CRC32C.kernelName(tier: .avx512)
                    == (CPUFeatures.hasVPCLMULQDQ ? "avx512 vpclmulqdq folding" : "pclmulqdq folding + sse4.2"))
        }
    }

    @Test func maskRoundTripAndKnownValue() {
        #expect(CRC32C.mask(0xE306_9283) == 0xC78A_B0E5)
        var random = TestBytes(seed: 9)
        for _ in 0..<10_000 {
            let crc = UInt32(truncatingIfNeeded: random.next())
            #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
        }
        #expect(CRC32C.unmask(CRC32C.mask(0)) == 0)
        #expect(CRC32C.unmask(CRC32C.mask(.max)) == .max)
    }
}

/// Each kernel tier's implementation, run through `CRC32C.checksum(tier:)`. A tier this process may
/// not run (another architecture, a CPU without the instructions, or a lower SHARDKIT_ISA cap) is
/// reported as skipped with the reason, and never run.
@Suite struct CRC32CTierTests {
    @Test(.enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))))
    func portableTier() { TierCheck(tier: .portable).all() }

    @Test(.enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))))
    func avx2Tier() { TierCheck(tier: .avx2).all() }

    @Test(.enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))))
    func avx512Tier() { TierCheck(tier: .avx512).all() }

    @Test(.enabled(if: CPUFeatures.runs(.armv8), Comment(rawValue: CPUFeatures.whyNot(.armv8))))
    func armv8Tier() { TierCheck(tier: .armv8).all() }
}

/// The checks every tier passes.
struct TierCheck {
    let tier: KernelTier

    func crc(_ bytes: UnsafeRawBufferPointer, extending crc: UInt32 = 0) -> UInt32 {
        CRC32C.checksum(tier: tier, bytes, extending: crc)
    }

    func crc(_ bytes: [UInt8], extending start: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc($0, extending: start) }
    }

    func all() {
        knownVectors()
        everyLengthAtEveryAlignment()
        randomLengthsUpToSomeMebibytes()
        extendIsConcatenation()
    }

    /// The CRC-32C check value, the iSCSI vectors of RFC 3720 (B.4), and values computed by the
    /// PyPI `crc32c` package (independent of our code) for longer inputs.
    func knownVectors() {
        #expect(crc(Array("123456789".utf8)) == 0xE306_9283, "\(tier)")
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA, "\(tier)")
        #expect(crc([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43, "\(tier)")
        #expect(crc((0..<32).map { UInt8($0) }) == 0x46DD_794E, "\(tier)")
        #expect(crc((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C, "\(tier)")
        let scsiRead: [UInt8] =
            [0x01, 0xC0] + [UInt8](repeating: 0, count: 14) + [0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18]
            + [0x28] + [UInt8](repeating: 0, count: 7) + [0x02] + [UInt8](repeating: 0, count: 7)
        #expect(scsiRead.count == 48)
        #expect(crc(scsiRead) == 0xD996_3A56, "\(tier)")
        #expect(crc([UInt8]()) == 0, "\(tier)")
        #expect(crc([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == 0x436F_E240, "\(tier)")
        var random = TestBytes(seed: 11)
        #expect(crc(random.bytes(1_000_003)) == 0x982D_AADA, "\(tier)")
    }

    /// Every length 0...1100 at every alignment 0..<16, from a zero and a non-zero CRC, against
    /// the portable tables.
    func everyLengthAtEveryAlignment() {
        var random = TestBytes(seed: 21)
        let bytes = random.bytes(1100 + 16)
        bytes.withUnsafeBytes { all in
            for length in 0...1100 {
                for alignment in 0..<16 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                    for start: UInt32 in [0, 0x1234_5678] {
                        let got = crc(slice, extending: start)
                        let want = CRC32C.portableChecksum(slice, extending: start)
                        if got != want {
                            Issue.record("\(tier): length \(length) alignment \(alignment) start \(start): \(got) != \(want)")
                            return
                        }
                    }
                }
            }
        }
    }

    /// Random lengths up to 4 MiB and lengths around the kernels' block sizes (hybrid blocks of
    /// 3264 bytes, 512/256/128-byte folding loops), at random alignments.
    func randomLengthsUpToSomeMebibytes() {
        var random = TestBytes(seed: 31)
        let bytes = random.bytes((4 << 20) + 64)
        var lengths = (0..<16).map { _ in Int(random.next() % UInt64(4 << 20)) }
        for base in [128, 256, 512, 3264, 6528, 9792, 65_536, 1 << 20] {
            lengths += [base - 1, base, base + 1, base + 15, base + 16, base + 127, base + 255]
        }
        lengths.append(4 << 20)
        bytes.withUnsafeBytes { all in
            for length in lengths {
                let alignment = Int(random.next() % 64)
                let slice = UnsafeRawBufferPointer(rebasing: all[alignment..<(alignment + length)])
                let got = crc(slice, extending: 0xDEAD_BEEF)
                let want = CRC32C.portableChecksum(slice, extending: 0xDEAD_BEEF)
                #expect(got == want, "\(tier): length \(length) alignment \(alignment)")
            }
        }
    }

    /// extend(checksum(a), b) == checksum(a + b), cutting at many places.
    func extendIsConcatenation() {
        var random = TestBytes(seed: 41)
        let bytes = random.bytes(300_001)
        bytes.withUnsafeBytes { all in
            let whole = crc(all)
            #expect(whole == CRC32C.portableChecksum(all), "\(tier)")
            var cuts = [0, 1, 7, 8, 100, 127, 128, 3264, 6528, 50_000, 299_999, 300_000, 300_001]
            cuts += (0..<12).map { _ in Int(random.next() % 300_002) }
            for cut in cuts {
                let first = crc(UnsafeRawBufferPointer(rebasing: all[..<cut]))
                let joined = crc(UnsafeRawBufferPointer(rebasing: all[cut...]), extending: first)
                #expect(joined == whole, "\(tier): cut at \(cut)")
            }
        }
    }
}
