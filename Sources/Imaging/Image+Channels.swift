/// Gray ⇄ RGB, as `tf.image.rgb_to_grayscale` and `tf.image.grayscale_to_rgb` do for `uint8`.
extension Image {
    /// `tf.image.rgb_to_grayscale`: `0.2989 R + 0.5870 G + 0.1140 B` on samples scaled to
    /// [0, 1] in `Float`, converted back as `convert_image_dtype` does (`trunc(v × 255.5)`,
    /// saturated). A gray image is returned unchanged.
    public func grayscale() -> Image {
        guard channels == 3 else { return self }
        let count = width * height
        let out = [UInt8](unsafeUninitializedCapacity: count) { dst, n in
            pixels.withUnsafeBufferPointer { src in
                let inv: Float = 1 / 255
                for p in 0..<count {
                    let r = Float(src[3 * p]) * inv
                    let g = Float(src[3 * p + 1]) * inv
                    let b = Float(src[3 * p + 2]) * inv
                    let v = r * 0.2989 + g * 0.5870 + b * 0.1140
                    dst[p] = floatToUInt8(v)
                }
            }
            n = count
        }
        return Image(height: height, width: width, channels: 1, pixels: out)
    }

    /// `tf.image.grayscale_to_rgb`: the gray sample replicated three times. An RGB image is
    /// returned unchanged.
    public func rgb() -> Image {
        guard channels == 1 else { return self }
        let count = width * height
        let out = [UInt8](unsafeUninitializedCapacity: count * 3) { dst, n in
            pixels.withUnsafeBufferPointer { src in
                for p in 0..<count {
                    let v = src[p]
                    dst[3 * p] = v
                    dst[3 * p + 1] = v
                    dst[3 * p + 2] = v
                }
            }
            n = count * 3
        }
        return Image(height: height, width: width, channels: 3, pixels: out)
    }

    /// This image with 1 or 3 channels (`grayscale()` or `rgb()`), or unchanged.
    public func converted(toChannels target: Int) -> Image {
        switch (channels, target) {
        case (3, 1): return grayscale()
        case (1, 3): return rgb()
        default: return self
        }
    }
}

/// `convert_image_dtype(float → uint8, saturate: true)`: `trunc(v × 255.5)` clamped to [0, 255].
@inline(__always)
func floatToUInt8(_ v: Float) -> UInt8 {
    let scaled = v * 255.5
    if !(scaled > 0) { return 0 }  // also NaN
    if scaled >= 255 { return 255 }
    return UInt8(scaled)  // truncation toward zero
}
