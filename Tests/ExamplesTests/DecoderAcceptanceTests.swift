import Testing

@testable import Examples

/// Inputs a protobuf parser must accept, built by hand (TensorFlow's Python API cannot write them).
@Suite struct DecoderAcceptanceTests {
    @Test func unpackedInt64AndFloat() throws {
        let ints = PB.vf(1, 5) + PB.vf(1, UInt64(bitPattern: -2))
        let floats = PB.fixed32(1, Float(1.5).bitPattern) + PB.fixed32(1, Float(-0.0).bitPattern)
        let bytes = PB.example(PB.entry("i", PB.ld(3, ints)), PB.entry("f", PB.ld(2, floats)))
        let example = try Example(serializedBytes: bytes)
        #expect(example.int64s("i") == [5, -2])
        #expect(example.floats("f")?.map(\.bitPattern) == [Float(1.5).bitPattern, Float(-0.0).bitPattern])
        #expect(decodeBoth(bytes).viewAgrees)
    }

    @Test func mixedPackedAndUnpacked() throws {
        let ints = PB.vf(1, 1) + PB.ld(1, PB.varint(2) + PB.varint(3)) + PB.vf(1, 4) + PB.ld(1, [])
        let floats = PB.ld(1, [0, 0, 0x80, 0x3F]) + PB.fixed32(1, Float(2).bitPattern)
        let bytes = PB.example(PB.entry("i", PB.ld(3, ints)), PB.entry("f", PB.ld(2, floats)))
        let example = try Example(serializedBytes: bytes)
        #expect(example.int64s("i") == [1, 2, 3, 4])
        #expect(example.floats("f") == [1, 2])
        #expect(decodeBoth(bytes).viewAgrees)
    }

    @Test func unknownFieldsAtEveryLevelAreSkipped() throws {
        let u = PB.unknown
        let int64List = u + PB.ld(1, PB.varint(9)) + u
        let bytesList = u + PB.ld(1, [1, 2]) + u
        let floatList = u + PB.ld(1, [0, 0, 0, 0x40]) + u
        let featureI = u + PB.ld(3, int64List) + u
        let featureB = u + PB.ld(1, bytesList) + u
        let featureF = u + PB.ld(2, floatList) + u
        func entry(_ key: String, _ feature: [UInt8]) -> [UInt8] {
            PB.ld(1, u + PB.ld(1, key) + u + PB.ld(2, feature) + u)
        }
        let features = u + entry("i", featureI) + u + entry("b", featureB) + entry("f", featureF) + u
        let bytes = u + PB.ld(1, features) + u
        let example = try Example(serializedBytes: bytes)
        #expect(example == Example(["i": .int64([9]), "b": .bytes([[1, 2]]), "f": .float([2])]))
        #expect(decodeBoth(bytes).viewAgrees)

        let featureList = u + PB.ld(1, featureI) + u
        let lists = u + PB.ld(1, u + PB.ld(1, "s") + PB.ld(2, featureList) + u) + u
        let sequence = try SequenceExample(serializedBytes: u + PB.ld(1, features) + u + PB.ld(2, lists) + u)
        #expect(sequence.context == example.features)
        #expect(sequence.featureLists["s"] == FeatureList([.int64([9])]))
    }

    @Test func repeatedMapEntriesLastWins() throws {
        let bytes = PB.example(
            PB.entry("k", PB.ld(3, PB.ld(1, [1]))), PB.entry("x", PB.ld(1, [])), PB.entry("k", PB.ld(2, [])))
        let example = try Example(serializedBytes: bytes)
        #expect(example["k"] == .float([]))
        #expect(example.features.feature.count == 2)
        #expect(decodeBoth(bytes).viewAgrees)
        // Two `features` fields merge their maps.
        let merged = PB.example(PB.entry("a", PB.ld(1, []))) + PB.example(PB.entry("b", PB.ld(3, [])))
        #expect(try Example(serializedBytes: merged) == Example(["a": .bytes([]), "b": .int64([])]))
        #expect(decodeBoth(merged).viewAgrees)
    }

    @Test func oneofSemantics() throws {
        // Same kind twice merges; a different kind replaces.
        let sameKind = PB.ld(3, PB.ld(1, [1])) + PB.ld(3, PB.ld(1, [2]))
        #expect(try Feature(serializedBytes: sameKind) == .int64([1, 2]))
        let replaced = PB.ld(3, PB.ld(1, [1])) + PB.ld(1, PB.ld(1, [7])) + PB.ld(1, PB.ld(1, [8]))
        #expect(try Feature(serializedBytes: replaced) == .bytes([[7], [8]]))
        let back = PB.ld(3, PB.ld(1, [1])) + PB.ld(2, []) + PB.ld(3, PB.ld(1, [5]))
        #expect(try Feature(serializedBytes: back) == .int64([5]))
        for feature in [sameKind, replaced, back] {
            #expect(decodeBoth(PB.example(PB.entry("k", feature))).viewAgrees)
        }
        // A map entry that repeats its value field merges the two Features.
        let twoValues = PB.example(
            PB.ld(1, PB.ld(1, "k") + PB.ld(2, PB.ld(3, PB.ld(1, [1]))) + PB.ld(2, PB.ld(3, PB.ld(1, [2])))))
        #expect(try Example(serializedBytes: twoValues).int64s("k") == [1, 2])
        #expect(decodeBoth(twoValues).viewAgrees)
    }

    @Test func emptyMessagesAndMissingParts() throws {
        #expect(try Example(serializedBytes: []) == Example())
        #expect(try Example(serializedBytes: [0x0A, 0x00]) == Example())
        #expect(try SequenceExample(serializedBytes: []) == SequenceExample())
        // Entry with no key: key "". Entry with no value: a Feature with no kind, read as empty bytes.
        let noKey = PB.example(PB.ld(1, PB.ld(2, PB.ld(3, []))))
        #expect(try Example(serializedBytes: noKey) == Example(["": .int64([])]))
        let noValue = PB.example(PB.ld(1, PB.ld(1, "k")))
        #expect(try Example(serializedBytes: noValue) == Example(["k": .bytes([])]))
        let noKind = PB.example(PB.entry("k", []))
        #expect(try Example(serializedBytes: noKind) == Example(["k": .bytes([])]))
        for bytes in [noKey, noValue, noKind] { #expect(decodeBoth(bytes).viewAgrees) }
        // Key repeated inside an entry: the last one counts.
        let twoKeys = PB.example(PB.ld(1, PB.ld(1, "old") + PB.ld(2, PB.ld(3, [])) + PB.ld(1, "new")))
        #expect(try Example(serializedBytes: twoKeys) == Example(["new": .int64([])]))
        #expect(decodeBoth(twoKeys).viewAgrees)
    }

    @Test func nonCanonicalVarintsAreAccepted() throws {
        // 1 written in 10 bytes (non-minimal, but within the 10-byte limit).
        let padded: [UInt8] = [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
        let ints = PB.tag(1, 0) + padded
        #expect(try Feature(serializedBytes: PB.ld(3, ints)) == .int64([1]))
    }

    @Test func viewAppendsIntoReusedArray() throws {
        let bytes = Example(["d": .int64([1, 2, 10, 10, 10]), "img": .bytes([[1, 2, 3]])]).serialized()
        try bytes.withUnsafeBytes { buffer in
            let view = try ExampleView(unsafeBytes: buffer)
            var digits: [Int64] = [99]
            view.feature("d")?.appendInt64s(to: &digits)
            #expect(digits == [99, 1, 2, 10, 10, 10])
            #expect(view.feature("img")?.firstBytes.map { Array($0) } == [1, 2, 3])
            #expect(view.feature("img")?.int64s() == [])
            #expect(view.feature("d")?.feature == .int64([1, 2, 10, 10, 10]))
        }
    }
}
