// The Example, SequenceExample and Feature decoders and the zero-copy ExampleView, with the
// properties the module promises checked on every input:
// - the view accepts exactly what the full decoder accepts, and reads the same features;
// - what decodes re-encodes to bytes that decode to the same value (Feature equality is bitwise).
import Examples
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExample(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzInput(data, size)
    checkExample(bytes)
    checkSequenceExample(bytes)
    if let feature = try? Feature(serializedBytes: bytes) {
        fuzzCheck((try? Feature(serializedBytes: feature.serialized())) == feature, "Feature round trip")
    }
    return 0
}

private func checkExample(_ bytes: UnsafeRawBufferPointer) {
    let example = try? Example(serializedBytes: bytes)
    let view = try? ExampleView(unsafeBytes: bytes)
    fuzzCheck((example == nil) == (view == nil), "ExampleView and Example disagree on whether the input is valid")
    guard let example, let view else { return }
    var seen = 0
    view.forEachFeature { feature in
        seen += 1
        fuzzCheck(example[feature.key] == feature.feature, "view and decoder read different values for a key")
    }
    fuzzCheck(
        seen == example.features.feature.count, "view lists \(seen) features, decoder \(example.features.feature.count)"
    )
    for (key, feature) in example.features.feature {
        fuzzCheck(view.feature(key)?.feature == feature, "view lookup of a key differs from the decoder")
    }
    let encoded = example.serialized()
    fuzzCheck(encoded.count == example.serializedSize, "serializedSize differs from the encoding")
    fuzzCheck((try? Example(serializedBytes: encoded)) == example, "Example round trip")
    _ = example.jsonString(maxBytesPreview: 16)
}

private func checkSequenceExample(_ bytes: UnsafeRawBufferPointer) {
    guard let sequence = try? SequenceExample(serializedBytes: bytes) else { return }
    let encoded = sequence.serialized()
    fuzzCheck(encoded.count == sequence.serializedSize, "SequenceExample serializedSize differs from the encoding")
    fuzzCheck((try? SequenceExample(serializedBytes: encoded)) == sequence, "SequenceExample round trip")
    _ = sequence.jsonString(maxBytesPreview: 16)
}
