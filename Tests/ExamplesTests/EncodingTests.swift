import Testing

@testable import Examples

@Suite struct EncodingTests {
    @Test func singleInt64ByteExact() {
        // Int64List{0a 01 01} in Feature field 3, entry {key "a", value}, Features, Example.
        #expect(hexString(Example(["a": .int64([1])]).serialized()) == "0a0c0a0a0a016112051a030a0101")
    }

    @Test func negativeInt64IsTenByteVarint() {
        let bytes = Feature.int64([-1]).serialized()
        #expect(hexString(bytes) == "1a0c0a0a" + "ffffffffffffffffff01")
        #expect(hexString(Feature.int64([Int64.min]).serialized()) == "1a0c0a0a" + "80808080808080808001")
        #expect(hexString(Feature.int64([Int64.max, 300]).serialized()) == "1a0d0a0b" + "ffffffffffffffff7f" + "ac02")
    }

    @Test func floatsLittleEndianPacked() {
        #expect(hexString(Feature.float([1.0, -0.0]).serialized()) == "120a0a08" + "0000803f" + "00000080")
        #expect(hexString(Feature.float([.infinity]).serialized()) == "12060a04" + "0000807f")
    }

    @Test func bytesValuesEachAField() {
        #expect(
            hexString(Feature.bytes([[], [0xFF], Array("hi".utf8)]).serialized()) == "0a09" + "0a00" + "0a01ff"
                + "0a026869")
        #expect(hexString(Feature.string("é").serialized()) == "0a040a02c3a9")
    }

    @Test func emptyListsAreEmptyListMessages() {
        #expect(hexString(Feature.bytes([]).serialized()) == "0a00")
        #expect(hexString(Feature.float([]).serialized()) == "1200")
        #expect(hexString(Feature.int64([]).serialized()) == "1a00")
    }

    @Test func emptyExampleWritesEmptyFeatures() {
        #expect(hexString(Example().serialized()) == "0a00")
        #expect(hexString(SequenceExample().serialized()) == "0a001200")
    }

    @Test func keysSortedByUTF8Bytes() {
        let example = Example(["b": .int64([]), "a": .int64([]), "B": .int64([]), "é": .int64([]), "": .int64([])])
        let bytes = example.serialized()
        // Entries: "" < "B" < "a" < "b" < "é" (0xC3 0xA9).
        let expected = PB.example(
            PB.entry("", [0x1A, 0x00]), PB.entry("B", [0x1A, 0x00]), PB.entry("a", [0x1A, 0x00]),
            PB.entry("b", [0x1A, 0x00]), PB.entry("é", [0x1A, 0x00]))
        #expect(bytes == expected)
    }

    @Test func deterministicAcrossInsertionOrders() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let example = RandomValues.example(&rng)
            let pairs = Array(example.features.feature)
            var reference: [UInt8]? = nil
            for _ in 0..<4 {
                var map: [String: Feature] = [:]
                for (key, value) in pairs.shuffled(using: &rng) { map[key] = value }
                let bytes = Example(map).serialized()
                if let reference { #expect(bytes == reference) } else { reference = bytes }
            }
        }
    }

    @Test func serializeAppendsAndSizeIsExact() {
        var rng = SplitMix64(seed: 8)
        var buffer: [UInt8] = [0xAA]
        for _ in 0..<50 {
            let example = RandomValues.example(&rng)
            let before = buffer.count
            example.serialize(into: &buffer)
            #expect(buffer.count - before == example.serializedSize)
            #expect(Array(buffer[before...]) == example.serialized())
        }
        #expect(buffer[0] == 0xAA)
        let sequence = RandomValues.sequenceExample(&rng)
        #expect(sequence.serialized().count == sequence.serializedSize)
    }

    @Test func largeLengthsUseMultiByteVarints() throws {
        let big = [UInt8](repeating: 7, count: 200_000)
        let example = Example(["image": .bytes([big])])
        let bytes = example.serialized()
        #expect(try Example(serializedBytes: bytes) == example)
    }
}

extension String {
    func replacingSpaces() -> String { String(filter { $0 != " " }) }
}
