import Foundation
import Testing

@testable import Examples

@Suite struct SchemaAccumulatorTests {
    @Test func countsKindsAndRanges() {
        var schema = SchemaAccumulator()
        schema.observe(Example(["image": .bytes([[1]]), "digits": .int64([1, 2, 10, 10, 10]), "length": .int64([2])]))
        schema.observe(Example(["image": .bytes([[2], [3]]), "digits": .int64([4]), "length": .float([1])]))
        schema.observe(Example(["image": .bytes([]), "digits": .int64([1, 2])]))
        #expect(schema.recordCount == 3)
        #expect(
            schema.entries == [
                SchemaEntry(key: "digits", kind: .int64, minCount: 1, maxCount: 5),
                SchemaEntry(key: "image", kind: .bytes, minCount: 0, maxCount: 2),
                SchemaEntry(key: "length", kind: .int64, minCount: 0, maxCount: 1),
            ])
        #expect(schema.kindConflicts == ["length"])
        #expect(schema.optionalKeys == ["length"])
    }

    @Test func mergeEqualsObservingEverything() {
        var rng = SplitMix64(seed: 3)
        let examples = (0..<40).map { _ in RandomValues.example(&rng) }
        var all = SchemaAccumulator()
        var left = SchemaAccumulator()
        var right = SchemaAccumulator()
        for (i, example) in examples.enumerated() {
            all.observe(example)
            if i < 20 { left.observe(example) } else { right.observe(example) }
        }
        left.merge(right)
        #expect(left.entries == all.entries)
        #expect(left.kindConflicts == all.kindConflicts)
        #expect(left.recordCount == 40)
    }

    @Test func entryIsCodable() throws {
        let entries = [SchemaEntry(key: "k", kind: .float, minCount: 1, maxCount: 3)]
        let data = try JSONEncoder().encode(entries)
        #expect(try JSONDecoder().decode([SchemaEntry].self, from: data) == entries)
    }
}

@Suite struct JSONTests {
    @Test func digitsRecord() {
        let example = Example([
            "image": .bytes([[0, 1, 2, 3, 4, 5, 6, 7]]),
            "length": .int64([2]),
            "digits": .int64([1, 2, 10, 10, 10]),
        ])
        #expect(
            example.jsonString()
                == #"{"features": {"digits": {"int64": [1,2,10,10,10]}, "image": {"bytes": ["AAECAwQFBgc="]}, "length": {"int64": [2]}}}"#
        )
    }

    @Test func floatsShortestAndNonFinite() {
        let feature = Feature.float([
            0.1, 1, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, 3.4028235e38, 1e-7,
        ])
        #expect(
            feature.jsonString() == #"{"float": [0.1,1.0,-0.0,"NaN","Infinity","-Infinity",1e-45,3.4028235e+38,1e-07]}"#
        )
        // Each finite value reads back as the same Float.
        for value: Float in [0.1, Float.leastNonzeroMagnitude, 3.4028235e38, 1e-7, 16_777_216, 0.3] {
            #expect(Float(jsonFloat(value))?.bitPattern == value.bitPattern)
        }
    }

    @Test func base64Padding() {
        // Binary values (0xFF is never UTF-8) make the whole feature base64.
        #expect(
            Feature.bytes([[], [0x66], [0x66, 0x6F], [0x66, 0x6F, 0x6F], [0xFF, 0xFE, 0xFD, 0xFC]]).jsonString()
                == #"{"bytes": ["","Zg==","Zm8=","Zm9v","//79/A=="]}"#)
        #expect(Feature.bytes([[0x66, 0x6F]]).jsonString(textAllowed: false) == #"{"bytes": ["Zm8="]}"#)
    }

    @Test func textBytesShowAsStrings() {
        let example = Example([
            "character": .bytes([Array("国".utf8)]),
            "filename": .bytes([Array("test/1.png".utf8)]),
            "caption": .bytes([Array("two\tlines\n\"quoted\" é".utf8), []]),
        ])
        #expect(
            example.jsonString()
                == #"{"features": {"caption": {"text": ["two\tlines\n\"quoted\" é",""]}, "character": {"text": ["国"]}, "filename": {"text": ["test/1.png"]}}}"#
        )
    }

    @Test func whatCountsAsText() {
        #expect(JSONBytes.isText(Array("中国 ok\t\n".utf8)[...]))
        #expect(JSONBytes.isText([][...]))
        // Control characters other than tab and newline: C0 (\r, NUL, ESC), DEL and C1 (U+0085).
        for bytes: [UInt8] in [[0x61, 0x0D], [0x00], [0x1B, 0x5B], [0x7F], [0xC2, 0x85]] {
            #expect(!JSONBytes.isText(bytes[...]), "\(bytes)")
        }
        // Not UTF-8: a lone continuation byte, a cut sequence, an overlong form, a surrogate.
        for bytes: [UInt8] in [[0x80], [0xE5, 0x9B], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            #expect(!JSONBytes.isText(bytes[...]), "\(bytes)")
        }
        // A PNG's signature is binary.
        #expect(!JSONBytes.isText([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A][...]))
    }

    @Test func imageKeysStayBase64EvenWhenTheyReadAsText() {
        // 8 raw gray pixels that happen to be printable ASCII ("ABCDEFGH").
        let pixels: [UInt8] = Array(65...72)
        let example = Example([
            "image": .bytes([pixels]), "image/encoded": .bytes([pixels]), "mask/encoded": .bytes([pixels]),
            "picture": .bytes([pixels]), "name": .bytes([pixels]),
        ])
        #expect(
            example.jsonString(binaryKeys: ["picture"])
                == #"{"features": {"image": {"bytes": ["QUJDREVGR0g="]}, "image/encoded": {"bytes": ["QUJDREVGR0g="]}, "mask/encoded": {"bytes": ["QUJDREVGR0g="]}, "name": {"text": ["ABCDEFGH"]}, "picture": {"bytes": ["QUJDREVGR0g="]}}}"#
        )
    }

    @Test func previewCutsTextOnCharacterBoundaries() {
        // 国 is 3 bytes: a 4-byte preview of 国国 keeps one whole character.
        let example = Example(["c": .bytes([Array("国国".utf8), Array("abc".utf8)])])
        #expect(
            example.jsonString(maxBytesPreview: 4)
                == #"{"features": {"c": {"text": [{"text": "国", "truncated_from": 6},"abc"]}}}"#)
        #expect(utf8Prefix(Array("国国".utf8), maxBytes: 2).isEmpty)
        #expect(Array(utf8Prefix(Array("a国".utf8), maxBytes: 4)) == Array("a国".utf8))
    }

    @Test func previewTruncatesLongBytes() {
        let example = Example(["image": .bytes([[UInt8](repeating: 0, count: 3920), [1, 2]])])
        #expect(
            example.jsonString(maxBytesPreview: 3)
                == #"{"features": {"image": {"bytes": [{"base64": "AAAA", "truncated_from": 3920},"AQI="]}}}"#)
    }

    @Test func keysEscapedAndSortedByBytes() {
        let example = Example(["b\"\\\n\u{1}": .int64([]), "é": .int64([-9_223_372_036_854_775_808]), "B": .float([])])
        #expect(
            example.jsonString()
                == #"{"features": {"B": {"float": []}, "b\"\\\n\u0001": {"int64": []}, "é": {"int64": [-9223372036854775808]}}}"#
        )
    }

    @Test func emptyAndSequence() {
        #expect(Example().jsonString() == #"{"features": {}}"#)
        let sequence = SequenceExample(
            context: Features(["id": .string("a")]),
            featureLists: FeatureLists(["t": FeatureList([.int64([1]), .int64([])]), "e": FeatureList()]))
        #expect(
            sequence.jsonString()
                == #"{"context": {"id": {"text": ["a"]}}, "feature_lists": {"e": [], "t": [{"int64": [1]}, {"int64": []}]}}"#
        )
    }
}
