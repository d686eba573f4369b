import Testing

@testable import Examples

/// Byte vectors produced once by TensorFlow 2.21 (`tf.train.Example(...).SerializeToString().hex()`),
/// by Tests/ExamplesTests/make_vectors.py. TensorFlow writes map entries in its own order, so these
/// are compared by decoded value; exact bytes are compared only for our own (sorted) encoding.
enum TFVectors {
    /// Keys bytes, int64, float, empty_b, empty_f, empty_i, "ключ", none (a Feature with no kind).
    static let example = hex(
        "0ac3010a0d0a07656d7074795f66120212000a2d0a05666c6f6174122412220a2000000000000000800000c07f0000807f"
            + "000080ff0000c03f01000000ffff7f7f0a110a08d0bad0bbd18ed18712051a030a01070a180a056279746573120f0a0d"
            + "0a000a0200ff0a0568656c6c6f0a0d0a07656d7074795f6912021a000a080a046e6f6e6512000a2e0a05696e74363412"
            + "251a230a210001ffffffffffffffffff0180808080808080808001ffffffffffffffff7fac020a0d0a07656d7074795f"
            + "6212020a00")
    static let sequence = hex(
        "0a110a0f0a02696412090a070a057365712d31123c0a140a0673636f726573120a0a0812060a040000803e0a190a06746f"
            + "6b656e73120f0a061a040a0201020a051a030a01030a090a05656d7074791200")
    static let digits = hex(
        "0a3d0a0f0a066c656e67746812051a030a01020a150a05696d616765120c0a0a0a0800010203040506070a130a066469"
            + "6769747312091a070a0501020a0a0a")
}

@Suite struct GoldenVectorTests {
    @Test func decodesTensorFlowExample() throws {
        let example = try Example(serializedBytes: TFVectors.example)
        #expect(example.features.feature.count == 8)
        #expect(example.bytes("bytes") == [[], [0x00, 0xFF], Array("hello".utf8)])
        #expect(example.int64s("int64") == [0, 1, -1, Int64.min, Int64.max, 300])
        let floats = try #require(example.floats("float"))
        #expect(
            floats.map(\.bitPattern) == [
                0, 0x8000_0000, 0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, 0x3FC0_0000, 1, 0x7F7F_FFFF,
            ])
        #expect(floats[1] == 0 && floats[1].sign == .minus)
        #expect(floats[2].isNaN)
        #expect(floats[3] == .infinity && floats[4] == -.infinity)
        #expect(floats[6].isSubnormal && floats[6] == .leastNonzeroMagnitude)
        #expect(floats[7] == .greatestFiniteMagnitude)
        #expect(example["empty_b"] == .bytes([]))
        #expect(example["empty_f"] == .float([]))
        #expect(example["empty_i"] == .int64([]))
        #expect(example.int64s("ключ") == [7])
        #expect(example["none"] == .bytes([]))  // a Feature with no kind set
        #expect(example["empty_f"]?.kind == "float" && example["int64"]?.count == 6)
    }

    @Test func viewReadsTensorFlowExample() throws {
        try TFVectors.example.withUnsafeBytes { buffer in
            let view = try ExampleView(unsafeBytes: buffer)
            let int64 = try #require(view.feature("int64"))
            #expect(
                int64.kind == .int64 && int64.count == 6 && int64.int64s() == [0, 1, -1, Int64.min, Int64.max, 300])
            #expect(view.feature("bytes")?.bytes() == [[], [0x00, 0xFF], Array("hello".utf8)])
            #expect(view.feature("float")?.floats().map(\.bitPattern).count == 8)
            #expect(view.feature("none")?.kind == .bytes && view.feature("none")?.count == 0)
            #expect(view.feature("missing") == nil)
            var keys: [String] = []
            view.forEachFeature { keys.append($0.key) }
            #expect(keys.count == 8)
        }
        #expect(decodeBoth(TFVectors.example).viewAgrees)
    }

    @Test func decodesTensorFlowSequenceExample() throws {
        let sequence = try SequenceExample(serializedBytes: TFVectors.sequence)
        #expect(sequence.context["id"] == .bytes([Array("seq-1".utf8)]))
        #expect(sequence.featureLists["tokens"] == FeatureList([.int64([1, 2]), .int64([3])]))
        #expect(sequence.featureLists["scores"] == FeatureList([.float([0.25])]))
        #expect(sequence.featureLists["empty"] == FeatureList([]))
        #expect(sequence.featureLists.featureList.count == 3)
    }

    @Test func decodesDigitsShapeAndReencodesSorted() throws {
        let example = try Example(serializedBytes: TFVectors.digits)
        #expect(example.bytes("image") == [[0, 1, 2, 3, 4, 5, 6, 7]])
        #expect(example.int64s("length") == [2])
        #expect(example.int64s("digits") == [1, 2, 10, 10, 10])
        // Ours: same entries, same entry bytes, keys sorted (digits, image, length). Checked by hand to
        // decode in TensorFlow to the same Example.
        let expected = hex(
            "0a3d0a130a066469676974731209"
                + "1a070a0501020a0a0a0a150a05696d616765120c0a0a0a08000102030405060"
                + "70a0f0a066c656e67746812051a030a0102")
        #expect(example.serialized() == expected)
    }
}
