/// Precomputed taps of `tf.image.resize(method: "bilinear", antialias: false)` (half-pixel
/// centres) for one (source size, destination size, channels) triple, in 11-bit fixed point.
///
/// For output coordinate `o` the source coordinate is `s = (o + 0.5) × in/out − 0.5`; the taps
/// are `max(floor(s), 0)` and `min(ceil(s), in − 1)` with weight `s − floor(s)` on the second,
/// exactly TensorFlow's `compute_interpolation_weights`. Weights are rounded to 1/2048, so the
/// result is within 0.13 of TensorFlow's `float32` value before our final rounding.
struct BilinearPlan: Sendable {
    static let shift: Int32 = 11
    static let one: Int32 = 1 << shift

    let sourceHeight: Int, sourceWidth: Int, height: Int, width: Int, channels: Int
    /// Per output sample (`width × channels`, also mirrored): source sample offsets in a row and weight.
    let x0: [Int32], x1: [Int32], wx: [Int32]
    let x0Flipped: [Int32], x1Flipped: [Int32], wxFlipped: [Int32]
    /// Per output row: the two source rows and the weight of the second.
    let y0: [Int32], y1: [Int32], wy: [Int32]
    /// Source rows some output row reads.
    let rowNeeded: [Bool]

    init(sourceHeight: Int, sourceWidth: Int, height: Int, width: Int, channels: Int) {
        precondition(sourceHeight > 0 && sourceWidth > 0 && height > 0 && width > 0, "empty resize")
        self.sourceHeight = sourceHeight
        self.sourceWidth = sourceWidth
        self.height = height
        self.width = width
        self.channels = channels
        func taps(_ n: Int, _ inSize: Int) -> (lo: [Int32], hi: [Int32], w: [Int32]) {
            let scale = Float(inSize) / Float(n)
            var lo = [Int32]()
            var hi = [Int32]()
            var w = [Int32]()
            lo.reserveCapacity(n)
            hi.reserveCapacity(n)
            w.reserveCapacity(n)
            for o in 0..<n {
                let s = (Float(o) + 0.5) * scale - 0.5
                let f = s.rounded(.down)
                lo.append(Int32(max(Int(f), 0)))
                hi.append(Int32(min(Int(s.rounded(.up)), inSize - 1)))
                w.append(Int32(((s - f) * Float(BilinearPlan.one)).rounded()))
            }
            return (lo, hi, w)
        }
        let (ylo, yhi, yw) = taps(height, sourceHeight)
        y0 = ylo
        y1 = yhi
        wy = yw
        var needed = [Bool](repeating: false, count: sourceHeight)
        for r in ylo { needed[Int(r)] = true }
        for r in yhi { needed[Int(r)] = true }
        rowNeeded = needed
        let (xlo, xhi, xw) = taps(width, sourceWidth)
        var a = [Int32]()
        var b = [Int32]()
        var w = [Int32]()
        var af = [Int32]()
        var bf = [Int32]()
        var wf = [Int32]()
        for o in 0..<width {
            for c in 0..<channels {
                a.append(xlo[o] * Int32(channels) + Int32(c))
                b.append(xhi[o] * Int32(channels) + Int32(c))
                w.append(xw[o])
                let m = width - 1 - o
                af.append(xlo[m] * Int32(channels) + Int32(c))
                bf.append(xhi[m] * Int32(channels) + Int32(c))
                wf.append(xw[m])
            }
        }
        x0 = a
        x1 = b
        wx = w
        x0Flipped = af
        x1Flipped = bf
        wxFlipped = wf
    }

    /// Scratch `Int32`s `run` needs: one horizontally resized row per source row.
    var scratchCount: Int { sourceHeight * width * channels }

    /// Resizes the `sourceHeight × sourceWidth` window at `source` (rows `sourceRowStride`
    /// bytes apart) into `destination` (`height × width × channels`, packed), mirroring the
    /// output left–right and/or up–down when asked. Output samples are rounded to nearest.
    func run(
        source: UnsafePointer<UInt8>, sourceRowStride: Int, destination: UnsafeMutablePointer<UInt8>,
        flipX: Bool, flipY: Bool, scratch: UnsafeMutablePointer<Int32>
    ) {
        let rowLength = width * channels
        // Horizontal pass: every needed source row to `width` samples, scaled by 2^11.
        let (ta, tb, tw) = flipX ? (x0Flipped, x1Flipped, wxFlipped) : (x0, x1, wx)
        ta.withUnsafeBufferPointer { ta in
            tb.withUnsafeBufferPointer { tb in
                tw.withUnsafeBufferPointer { tw in
                    for r in 0..<sourceHeight where rowNeeded[r] {
                        let row = source + r * sourceRowStride
                        let out = scratch + r * rowLength
                        for i in 0..<rowLength {
                            let a = Int32(row[Int(ta[i])])
                            let b = Int32(row[Int(tb[i])])
                            out[i] = a &* BilinearPlan.one &+ (b &- a) &* tw[i]
                        }
                    }
                }
            }
        }
        // Vertical pass: blend two rows, round, store.
        let round: Int32 = 1 << (2 * BilinearPlan.shift - 1)
        for y in 0..<height {
            let r0 = scratch + Int(y0[y]) * rowLength
            let r1 = scratch + Int(y1[y]) * rowLength
            let w = wy[y]
            let out = destination + (flipY ? height - 1 - y : y) * rowLength
            for i in 0..<rowLength {
                let a = r0[i]
                let b = r1[i]
                let v = (a &* BilinearPlan.one &+ (b &- a) &* w &+ round) >> (2 * BilinearPlan.shift)
                out[i] = UInt8(truncatingIfNeeded: v)
            }
        }
    }
}
