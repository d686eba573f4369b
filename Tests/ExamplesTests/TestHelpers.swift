@testable import Examples

/// Bytes from a hex string (whitespace ignored).
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") })
    precondition(digits.count % 2 == 0)
    func value(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: preconditionFailure("not hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}

func hexString(_ bytes: [UInt8]) -> String {
    let chars = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(chars[Int(b >> 4)])
        out.append(chars[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Hand-built protobuf pieces for tests.
enum PB {
    /// Written out here rather than taken from the library, so the tests do not check the codec
    /// against itself.
    static func varint(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var rest = value
        repeat {
            let low = UInt8(rest & 0x7F)
            rest >>= 7
            out.append(rest == 0 ? low : low | 0x80)
        } while rest != 0
        return out
    }
    static func tag(_ field: UInt64, _ wireType: UInt64) -> [UInt8] { varint(field << 3 | wireType) }
    /// A length-delimited field.
    static func ld(_ field: UInt64, _ payload: [UInt8]) -> [UInt8] {
        tag(field, 2) + varint(UInt64(payload.count)) + payload
    }
    static func ld(_ field: UInt64, _ string: String) -> [UInt8] { ld(field, Array(string.utf8)) }
    /// A varint field.
    static func vf(_ field: UInt64, _ value: UInt64) -> [UInt8] { tag(field, 0) + varint(value) }
    static func fixed32(_ field: UInt64, _ bits: UInt32) -> [UInt8] {
        tag(field, 5) + [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
    }
    static func fixed64(_ field: UInt64, _ value: UInt64) -> [UInt8] {
        tag(field, 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    /// Unknown fields of every wire type we skip (varint, fixed64, length-delimited, fixed32).
    static let unknown: [UInt8] =
        vf(15, 300) + fixed64(16, 0x0102_0304_0506_0708) + ld(17, [1, 2, 3]) + fixed32(18, 0xDEAD_BEEF)

    static func example(_ entries: [UInt8]...) -> [UInt8] { ld(1, entries.flatMap { $0 }) }
    static func entry(_ key: String, _ feature: [UInt8]) -> [UInt8] { ld(1, ld(1, key) + ld(2, feature)) }
}

/// SplitMix64: a small seeded generator for reproducible random cases.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum RandomValues {
    static let keyAlphabet: [String] = ["a", "b", "z", "A", "Z", "0", "_", "/", "é", "ключ", "数", "🙂", " "]

    static func key<G: RandomNumberGenerator>(_ rng: inout G) -> String {
        let length = Int.random(in: 0...6, using: &rng)
        return (0..<length).map { _ in keyAlphabet.randomElement(using: &rng)! }.joined()
    }

    static func feature<G: RandomNumberGenerator>(_ rng: inout G) -> Feature {
        let count = Int.random(in: 0...(Bool.random(using: &rng) ? 3 : 40), using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0:
            return .bytes(
                (0..<count).map { _ in
                    (0..<Int.random(in: 0...(Bool.random(using: &rng) ? 5 : 300), using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }
                })
        case 1:
            return .float((0..<count).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) })
        default:
            return .int64(
                (0..<count).map { _ in
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: Int64.random(in: -3...3, using: &rng)
                    case 1: Int64.random(in: Int64.min...Int64.max, using: &rng)
                    case 2: Int64.random(in: 0...100_000, using: &rng)
                    default: [Int64.min, Int64.max, -1, 127, 128].randomElement(using: &rng)!
                    }
                })
        }
    }

    static func features<G: RandomNumberGenerator>(_ rng: inout G) -> Features {
        var map: [String: Feature] = [:]
        for _ in 0..<Int.random(in: 0...8, using: &rng) { map[key(&rng)] = feature(&rng) }
        return Features(map)
    }

    static func example<G: RandomNumberGenerator>(_ rng: inout G) -> Example {
        Example(features: features(&rng))
    }

    static func sequenceExample<G: RandomNumberGenerator>(_ rng: inout G) -> SequenceExample {
        var lists: [String: FeatureList] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            lists[key(&rng)] = FeatureList((0..<Int.random(in: 0...5, using: &rng)).map { _ in feature(&rng) })
        }
        return SequenceExample(context: features(&rng), featureLists: FeatureLists(lists))
    }
}

/// Decodes with both the full decoder and the view; returns the Example or the error of the full decoder,
/// and whether the view agreed.
func decodeBoth(_ bytes: [UInt8]) -> (result: Result<Example, ExampleDecodingError>, viewAgrees: Bool) {
    bytes.withUnsafeBytes { buffer in
        let full: Result<Example, ExampleDecodingError>
        do throws(ExampleDecodingError) { full = .success(try Example(serializedBytes: buffer)) } catch {
            full = .failure(error)
        }
        var viewed: Example? = nil
        do throws(ExampleDecodingError) {
            let view = try ExampleView(unsafeBytes: buffer)
            var map: [String: Feature] = [:]
            view.forEachFeature { map[$0.key] = $0.feature }
            viewed = Example(map)
        } catch {}
        switch full {
        case .success(let example): return (full, viewed == example)
        case .failure: return (full, viewed == nil)
        }
    }
}

func decodeError(_ bytes: [UInt8]) -> ExampleDecodingError? {
    do {
        _ = try Example(serializedBytes: bytes)
        return nil
    } catch {
        return error
    }
}
