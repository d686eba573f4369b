/// Flips and photometric adjustments, as the `tf.image` ops of the same names do for `uint8`
/// images: samples are scaled to `Float` in [0, 1] (`x × (1/255)`), adjusted, and converted
/// back as `convert_image_dtype(saturate: true)` does, `trunc(v × 255.5)` clamped to [0, 255].
extension Image {
    /// `tf.image.flip_left_right`: columns reversed.
    public func flippedLeftRight() -> Image {
        var out = self
        let c = channels
        pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * width * c
                    for x in 0..<width {
                        let from = row + x * c
                        let to = row + (width - 1 - x) * c
                        for k in 0..<c { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return out
    }

    /// `tf.image.flip_up_down`: rows reversed.
    public func flippedUpDown() -> Image {
        var out = self
        let rowBytes = width * channels
        pixels.withUnsafeBytes { src in
            out.pixels.withUnsafeMutableBytes { dst in
                for y in 0..<height {
                    let to = (height - 1 - y) * rowBytes
                    UnsafeMutableRawBufferPointer(rebasing: dst[to..<(to + rowBytes)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(y * rowBytes)..<((y + 1) * rowBytes)]))
                }
            }
        }
        return out
    }

    /// `tf.image.adjust_brightness(image, delta)`: `delta` (in units of full scale, so 0.1 ≈
    /// 25.5 levels) added to every sample.
    public func adjustingBrightness(by delta: Float) -> Image {
        let table = brightnessTable(delta)
        var out = self
        out.pixels.withUnsafeMutableBufferPointer { p in
            table.withUnsafeBufferPointer { t in
                for i in p.indices { p[i] = t[Int(p[i])] }
            }
        }
        return out
    }

    /// `tf.image.adjust_contrast(image, factor)`: each channel scaled by `factor` about its mean
    /// over the whole image, `(x − mean) × factor + mean`.
    public func adjustingContrast(by factor: Float) -> Image {
        var out = self
        let sums = channelSums()
        let count = width * height
        guard count > 0 else { return out }
        let tables = (0..<channels).map {
            contrastTable(mean: channelMean(sum: sums[$0], count: count), factor: factor)
        }
        out.pixels.withUnsafeMutableBufferPointer { p in
            for c in 0..<channels {
                tables[c].withUnsafeBufferPointer { t in
                    var i = c
                    while i < p.count {
                        p[i] = t[Int(p[i])]
                        i += channels
                    }
                }
            }
        }
        return out
    }

    /// `tf.image.per_image_standardization`: `(x − mean) / max(stddev, 1/√N)` over all
    /// `N = height × width × channels` samples (taken as 0...255, not rescaled), HWC order.
    public func perImageStandardization() -> [Float] {
        let n = pixels.count
        guard n > 0 else { return [] }
        var sum = 0
        var sumSquares = 0
        for v in pixels {
            sum += Int(v)
            sumSquares += Int(v) * Int(v)
        }
        let mean = Double(sum) / Double(n)
        let variance = max(Double(sumSquares) / Double(n) - mean * mean, 0)
        let adjusted = max(variance.squareRoot(), 1 / Double(n).squareRoot())
        let m = Float(mean)
        let inv = Float(1 / adjusted)
        return pixels.map { (Float($0) - m) * inv }
    }

    /// Per-channel sums of all samples.
    func channelSums() -> [Int] {
        var sums = [Int](repeating: 0, count: channels)
        pixels.withUnsafeBufferPointer { p in
            if channels == 3 {
                var r = 0
                var g = 0
                var b = 0
                var i = 0
                while i < p.count {
                    r += Int(p[i])
                    g += Int(p[i + 1])
                    b += Int(p[i + 2])
                    i += 3
                }
                sums = [r, g, b]
            } else {
                for i in p.indices { sums[i % channels] += Int(p[i]) }
            }
        }
        return sums
    }
}

/// The channel mean in [0, 1] units, as `reduce_mean` of the converted samples gives it.
@inline(__always)
func channelMean(sum: Int, count: Int) -> Float {
    Float(Double(sum) / Double(count) / 255)
}

/// `adjust_brightness` for each of the 256 input levels.
func brightnessTable(_ delta: Float) -> [UInt8] {
    let inv: Float = 1 / 255
    return (0..<256).map { floatToUInt8(Float($0) * inv + delta) }
}

/// `adjust_contrast` for each of the 256 input levels of one channel with the given mean.
func contrastTable(mean: Float, factor: Float) -> [UInt8] {
    let inv: Float = 1 / 255
    return (0..<256).map { floatToUInt8((Float($0) * inv - mean) * factor + mean) }
}
