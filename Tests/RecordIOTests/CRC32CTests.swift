import RecordIO
import TestSupport
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

    @Test func hardwareIsUsedOnThisMachine() {
        #if arch(x86_64)
            #expect(CRC32C.usesHardware)
        #endif
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
