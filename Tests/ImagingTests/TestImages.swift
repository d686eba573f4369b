@testable import Imaging

/// Small deterministic images for tests (a fixed LCG; no dependence on Swift's hashing).
enum TestImages {
    static func noise(height: Int, width: Int, channels: Int, seed: UInt64 = 1) -> Image {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var pixels = [UInt8](repeating: 0, count: height * width * channels)
        for i in pixels.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            pixels[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return Image(height: height, width: width, channels: channels, pixels: pixels)
    }

    /// A smooth gradient plus mild noise, like `common.svhn_like`.
    static func smooth(height: Int, width: Int, channels: Int = 3, seed: UInt64 = 1) -> Image {
        let n = noise(height: height, width: width, channels: channels, seed: seed)
        var pixels = n.pixels
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let i = (y * width + x) * channels + c
                    let v = 40 + (x + y) * 2 + c * 20 + Int(n.pixels[i] % 16)
                    pixels[i] = UInt8(min(max(v, 0), 255))
                }
            }
        }
        return Image(height: height, width: width, channels: channels, pixels: pixels)
    }
}
