import Testing

@testable import Imaging

/// Every op against TensorFlow's output for the same input and parameters.
@Suite struct GoldenTests {
    static let ops = Golden.shared.0.ops
    static let codecs = Golden.shared.0.codecs

    @Test(arguments: ops.map(\.output))
    func matchesTensorFlow(_ output: String) throws {
        let op = try #require(Self.ops.first { $0.output == output })
        let input = Golden.image(op.input)
        let p = op.params
        func int(_ key: String) -> Int { Int(p[key]!) }
        switch op.op {
        case "resize_bilinear", "resize_area":
            let ours =
                op.op == "resize_area"
                ? input.resizedArea(height: int("height"), width: int("width"))
                : input.resizedBilinear(height: int("height"), width: int("width"))
            let theirs = Golden.floats(op.output)
            #expect(ours.pixels.count == theirs.count)
            let worst = zip(ours.pixels, theirs).map { abs(Float($0) - $1) }.max() ?? 0
            // Ours is rounded to an integer; TensorFlow's is float32: at most 0.5 plus the
            // fixed-point error apart.
            #expect(worst <= 0.75, "\(op.op) \(p): max |ours − TF| = \(worst)")
        case "per_image_standardization":
            let ours = input.perImageStandardization()
            let theirs = Golden.floats(op.output)
            let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4, "max |ours − TF| = \(worst)")
        default:
            let ours: Image
            switch op.op {
            case "crop":
                ours = input.cropped(top: int("top"), left: int("left"), height: int("height"), width: int("width"))
            case "flip_left_right": ours = input.flippedLeftRight()
            case "flip_up_down": ours = input.flippedUpDown()
            case "adjust_brightness": ours = input.adjustingBrightness(by: Float(p["delta"]!))
            case "adjust_contrast": ours = input.adjustingContrast(by: Float(p["factor"]!))
            case "rgb_to_grayscale": ours = input.grayscale()
            case "grayscale_to_rgb": ours = input.rgb()
            default:
                Issue.record("unknown op \(op.op)")
                return
            }
            let theirs = Golden.image(op.output)
            #expect([ours.height, ours.width, ours.channels] == [theirs.height, theirs.width, theirs.channels])
            let worst = zip(ours.pixels, theirs.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            let exact = zip(ours.pixels, theirs.pixels).filter { $0 != $1 }.count
            #expect(worst <= 1, "\(op.op) \(p): max |ours − TF| = \(worst), \(exact) samples differ")
        }
    }

    @Test(arguments: codecs.indices)
    func decodesLikePillow(_ index: Int) throws {
        let codecCase = Self.codecs[index]
        let bytes = Golden.file(codecCase.file)
        if codecCase.error == true {
            let error = try #require(throws: ImageCodecError.self) { try Image.decode(bytes) }
            #expect(!error.message.isEmpty)
            return
        }
        let image = try Image.decode(bytes, channels: codecCase.channels)
        let expected = Golden.image(try #require(codecCase.expected))
        #expect([image.height, image.width, image.channels] == [expected.height, expected.width, expected.channels])
        let worst = zip(image.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        let what = "\(codecCase.file) as \(codecCase.channels ?? 0) channels"
        #expect(worst <= codecCase.tolerance ?? 0, "\(what): max difference \(worst)")
    }
}
