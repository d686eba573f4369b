/// Resizing, as `tf.image.resize` with `method: "bilinear"` (antialias off) and `method: "area"`.
///
/// TensorFlow returns `float32` for these; we round each sample to the nearest integer
/// (halves up), so every result is within 1 of TensorFlow's value rounded the same way.
extension Image {
    /// `tf.image.resize(image, [height, width], method: "bilinear", antialias: false)`:
    /// half-pixel centres, taps clamped at the borders, rounded to nearest.
    public func resizedBilinear(height h: Int, width w: Int) -> Image {
        if h == height && w == width { return self }
        let plan = BilinearPlan(sourceHeight: height, sourceWidth: width, height: h, width: w, channels: channels)
        return resized(with: plan)
    }

    func resized(with plan: BilinearPlan, flipX: Bool = false, flipY: Bool = false) -> Image {
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: plan.scratchCount)
        defer { scratch.deallocate() }
        let count = plan.height * plan.width * channels
        let out = [UInt8](unsafeUninitializedCapacity: count) { dst, n in
            pixels.withUnsafeBufferPointer { src in
                plan.run(
                    source: src.baseAddress!, sourceRowStride: width * channels, destination: dst.baseAddress!,
                    flipX: flipX, flipY: flipY, scratch: scratch)
            }
            n = count
        }
        return Image(height: plan.height, width: plan.width, channels: channels, pixels: out)
    }

    /// `tf.image.resize(image, [height, width], method: "area")`: each output pixel is the
    /// average of the source area it covers, partial pixels weighted by coverage (computed in
    /// `Float` as TensorFlow's `resize_area` does), rounded to nearest. When enlarging this
    /// amounts to nearest-neighbour sampling.
    public func resizedArea(height h: Int, width w: Int) -> Image {
        precondition(h > 0 && w > 0 && height > 0 && width > 0, "empty resize")
        let sy = Float(height) / Float(h)
        let sx = Float(width) / Float(w)
        // Per output coordinate: (source index, coverage) pairs.
        func spans(_ n: Int, _ scale: Float, _ inSize: Int) -> [[(Int, Float)]] {
            (0..<n).map { o in
                let a = Float(o) * scale
                let b = Float(o + 1) * scale
                let start = Int(a.rounded(.down))
                let end = Int(b.rounded(.up))
                return (start..<end).map { i -> (Int, Float) in
                    let lo = max(Float(i), a)
                    let hi = min(Float(i + 1), b)
                    return (min(i, inSize - 1), hi - lo)
                }
            }
        }
        let ys = spans(h, sy, height)
        let xs = spans(w, sx, width)
        let norm = 1 / (sy * sx)
        var out = [UInt8](repeating: 0, count: h * w * channels)
        var acc = [Float](repeating: 0, count: channels)
        for oy in 0..<h {
            for ox in 0..<w {
                for c in 0..<channels { acc[c] = 0 }
                for (iy, cy) in ys[oy] {
                    for (ix, cx) in xs[ox] {
                        let base = (iy * width + ix) * channels
                        let k = cy * cx
                        for c in 0..<channels { acc[c] += Float(pixels[base + c]) * k }
                    }
                }
                for c in 0..<channels {
                    out[(oy * w + ox) * channels + c] = roundToUInt8(acc[c] * norm)
                }
            }
        }
        return Image(height: h, width: w, channels: channels, pixels: out)
    }
}

/// Round half up, clamped to [0, 255].
@inline(__always)
func roundToUInt8(_ v: Float) -> UInt8 {
    let r = (v + 0.5).rounded(.down)
    if !(r > 0) { return 0 }
    if r >= 255 { return 255 }
    return UInt8(r)
}
