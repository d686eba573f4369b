import Foundation
import TestSupport

@testable import Imaging

/// The fixtures `Fixtures/imaging/make_golden.py` writes: TensorFlow's outputs and Pillow's
/// decoded pixels.
struct Golden: Decodable {
    struct ArrayInfo: Decodable {
        var dtype: String
        var shape: [Int]
        var offset: Int
        var count: Int
    }
    struct Op: Decodable {
        var op: String
        var input: String
        var output: String
        var params: [String: Double]
    }
    struct Codec: Decodable {
        var file: String
        var channels: Int?
        var expected: String?
        var tolerance: Int?
        var error: Bool?
    }
    var tensorflow: String
    var arrays: [String: ArrayInfo]
    var ops: [Op]
    var codecs: [Codec]

    static let shared: (Golden, [UInt8]) = {
        let dir = FixturePaths.fixture("imaging")
        let json = try! Data(contentsOf: dir.appendingPathComponent("golden.json"))
        let golden = try! JSONDecoder().decode(Golden.self, from: json)
        let blob = [UInt8](try! Data(contentsOf: dir.appendingPathComponent("golden.bin")))
        return (golden, blob)
    }()

    static func bytes(_ name: String) -> [UInt8] {
        let (g, blob) = shared
        let info = g.arrays[name]!
        precondition(info.dtype == "uint8")
        return Array(blob[info.offset..<(info.offset + info.count)])
    }

    static func floats(_ name: String) -> [Float] {
        let (g, blob) = shared
        let info = g.arrays[name]!
        precondition(info.dtype == "float32")
        return (0..<info.count).map { i in
            let o = info.offset + 4 * i
            let bits =
                UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    static func image(_ name: String) -> Image {
        let info = shared.0.arrays[name]!
        return Image(height: info.shape[0], width: info.shape[1], channels: info.shape[2], pixels: bytes(name))
    }

    static func shape(_ name: String) -> [Int] { shared.0.arrays[name]!.shape }

    static func file(_ relative: String) -> [UInt8] {
        [UInt8](try! Data(contentsOf: FixturePaths.fixture("imaging/" + relative)))
    }
}
