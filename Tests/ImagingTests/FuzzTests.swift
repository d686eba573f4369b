import Testing
@testable import Imaging
import ShardKitSupport

/// Mutated and cut streams must throw or decode, never crash or hang.
@Suite struct FuzzTests {
    @Test(arguments: ["png", "jpeg"])
    func mutatedStreamsNeverCrash(_ format: String) throws {
        let image = TestImages.smooth(height: 24, width: 20)
        let good = format == "png" ? try PNGCodec.encode(image) : try JPEGCodec.encode(image, quality: 80)
        var rng = RecordKey(format).generator(seed: 3)
        var thrown = 0
        for round in 0..<400 {
            var bytes = good
            let edits = 1 + Draw.int(through: 4, using: &rng)
            for _ in 0..<edits {
                let at = Draw.int(through: bytes.count - 1, using: &rng)
                bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if round % 4 == 0 { bytes.removeLast(Draw.int(through: bytes.count - 1, using: &rng)) }
            do {
                let decoded = try Image.decode(bytes)
                #expect(decoded.pixels.count == decoded.height * decoded.width * decoded.channels)
            } catch {
                thrown += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(thrown > 0)
    }
}
