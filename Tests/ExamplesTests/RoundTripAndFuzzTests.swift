import Testing

@testable import Examples

@Suite struct RoundTripAndFuzzTests {
    @Test func randomExamplesRoundTrip() throws {
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<500 {
            let example = RandomValues.example(&rng)
            let bytes = example.serialized()
            let decoded = try Example(serializedBytes: bytes)
            #expect(decoded == example)
            #expect(decoded.serialized() == bytes)
            #expect(decodeBoth(bytes).viewAgrees)
        }
    }

    @Test func randomSequenceExamplesRoundTrip() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let sequence = RandomValues.sequenceExample(&rng)
            let bytes = sequence.serialized()
            let decoded = try SequenceExample(serializedBytes: bytes)
            #expect(decoded == sequence)
            #expect(decoded.serialized() == bytes)
        }
    }

    @Test func everyTruncationPrefixDecodesOrThrows() {
        var rng = SplitMix64(seed: 5)
        var inputs = [TFVectors.example, TFVectors.digits]
        for _ in 0..<10 { inputs.append(RandomValues.example(&rng).serialized()) }
        var thrown = 0
        for bytes in inputs {
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                let (result, viewAgrees) = decodeBoth(prefix)
                #expect(viewAgrees)
                if case .failure = result { thrown += 1 }
                _ = try? SequenceExample(serializedBytes: prefix)
            }
        }
        #expect(thrown > 0)
    }

    @Test func randomByteFlipsNeverCrash() {
        var rng = SplitMix64(seed: 11)
        var outcomes = (decoded: 0, thrown: 0)
        let bases = [TFVectors.example, TFVectors.sequence, TFVectors.digits]
        for round in 0..<3000 {
            var bytes = bases[round % bases.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] =
                    Bool.random(using: &rng)
                    ? UInt8.random(in: 0...255, using: &rng) : bytes[i] ^ (1 << UInt8.random(in: 0...7, using: &rng))
            }
            let (result, viewAgrees) = decodeBoth(bytes)
            #expect(viewAgrees)
            switch result {
            case .success(let example):
                outcomes.decoded += 1
                // Whatever decodes re-encodes to something that decodes to the same value.
                #expect((try? Example(serializedBytes: example.serialized())) == example)
            case .failure: outcomes.thrown += 1
            }
            _ = try? SequenceExample(serializedBytes: bytes)
            _ = try? Feature(serializedBytes: bytes)
        }
        #expect(outcomes.decoded > 0 && outcomes.thrown > 0)
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(decodeBoth(bytes).viewAgrees)
            _ = try? SequenceExample(serializedBytes: bytes)
        }
    }
}
