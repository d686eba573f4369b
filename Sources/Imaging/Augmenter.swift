internal import ShardKitSupport
/// Applies an `AugmentSpec` fast, reusing resize plans and scratch memory between images.
///
/// The one augmentation engine: every command and the trainer augment through it. Gives exactly
/// the result of applying the spec's steps one by one (`AugmentSpec.applyStepByStep`) with the
/// same draws. The common
/// shape — an optional crop, a bilinear resize, then any flips, brightness and contrast — runs
/// fused: the crop is an offset into the source, flips mirror the resize's taps or rows, and
/// brightness/contrast become one 256-entry table per channel built from a histogram of the
/// resized samples (exact, because each of those steps maps a sample through a table that
/// depends only on the channel's distribution). Other specs run step by step.
///
/// Not thread-safe: give each thread its own `Augmenter` (they are cheap).
public final class Augmenter {
    /// The spec this engine applies; fixed for its life.
    public let spec: AugmentSpec
    private let fused: FusedShape?
    private var plans: [PlanKey: BilinearPlan] = [:]
    private var lastPlan: (PlanKey, BilinearPlan)?
    private var scratch: UnsafeMutablePointer<Int32>
    private var scratchCapacity: Int
    private var histogram: UnsafeMutablePointer<Int32>
    private var tables: UnsafeMutablePointer<UInt8>
    private var photometric: [(isBrightness: Bool, value: Float)] = []

    /// Prepares `spec`: decides once whether it has the fused shape; plans come with the first images.
    public init(spec: AugmentSpec) {
        self.spec = spec
        fused = FusedShape(spec)
        scratchCapacity = 0
        scratch = .allocate(capacity: 1)
        histogram = .allocate(capacity: 4 * 256)
        tables = .allocate(capacity: 4 * 256)
    }

    deinit {
        scratch.deallocate()
        histogram.deallocate()
        tables.deallocate()
    }

    /// The augmented image; draws from `rng` in step order (see `AugmentSpec`).
    public func apply(to image: Image, rng: inout some RandomNumberGenerator) -> Image {
        guard let fused, image.channels <= 4 else { return spec.applyStepByStep(to: image, rng: &rng) }
        // Draw everything first, in step order.
        var top = 0
        var left = 0
        var cropH = image.height
        var cropW = image.width
        switch fused.crop {
        case .random(let h, let w)?:
            cropH = min(h, image.height)
            cropW = min(w, image.width)
            (top, left) = Image.randomCropOffset(
                height: image.height, width: image.width, cropHeight: cropH, cropWidth: cropW, using: &rng)
        case .center(let h, let w)?:
            cropH = min(h, image.height)
            cropW = min(w, image.width)
            top = (image.height - cropH) / 2
            left = (image.width - cropW) / 2
        case nil: break
        }
        var flipX = false
        var flipY = false
        // Reused between calls: no allocation here once the capacity is reached.
        var photometric = self.photometric
        self.photometric = []
        photometric.removeAll(keepingCapacity: true)
        defer { self.photometric = photometric }
        for step in fused.tail {
            switch step {
            case .flip(let lr, let ud):
                if lr, Draw.coin(using: &rng) { flipX.toggle() }
                if ud, Draw.coin(using: &rng) { flipY.toggle() }
            case .brightness(let b): photometric.append((true, Float(Draw.uniform(-b, b, using: &rng))))
            case .contrast(let lo, let hi): photometric.append((false, Float(Draw.uniform(lo, hi, using: &rng))))
            default: preconditionFailure("not a fusable step")
            }
        }

        let c = image.channels
        let key = PlanKey(
            sourceHeight: cropH, sourceWidth: cropW, height: fused.height, width: fused.width, channels: c)
        let plan = self.plan(for: key)
        if plan.scratchCount > scratchCapacity {
            scratch.deallocate()
            scratch = .allocate(capacity: plan.scratchCount)
            scratchCapacity = plan.scratchCount
        }
        let count = fused.height * fused.width * c
        let scratch = self.scratch
        let histogram = self.histogram
        let tables = self.tables
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { out, n in
            let dst = out.baseAddress!
            image.pixels.withUnsafeBufferPointer { src in
                plan.run(
                    source: src.baseAddress! + (top * image.width + left) * c, sourceRowStride: image.width * c,
                    destination: dst, flipX: flipX, flipY: flipY, scratch: scratch)
            }
            n = count
            guard !photometric.isEmpty else { return }
            Augmenter.applyPhotometric(
                photometric, to: dst, count: count, channels: c,
                histogram: histogram, tables: tables)
        }
        return Image(height: fused.height, width: fused.width, channels: c, pixels: pixels)
    }

    /// Runs brightness/contrast steps as one table per channel. `tables[c·256 + v]` is the
    /// current value of a sample that left the resize as `v`; a contrast step needs the
    /// channel mean of current values, which the histogram of resize outputs gives exactly.
    private static func applyPhotometric(
        _ steps: [(isBrightness: Bool, value: Float)], to p: UnsafeMutablePointer<UInt8>, count: Int, channels c: Int,
        histogram: UnsafeMutablePointer<Int32>, tables: UnsafeMutablePointer<UInt8>
    ) {
        let pixelCount = count / c
        let needsHistogram = steps.contains { !$0.isBrightness }
        if needsHistogram {
            histogram.initialize(repeating: 0, count: c * 256)
            if c == 3 {
                var i = 0
                while i < count {
                    histogram[Int(p[i])] &+= 1
                    histogram[256 + Int(p[i + 1])] &+= 1
                    histogram[512 + Int(p[i + 2])] &+= 1
                    i += 3
                }
            } else {
                for i in 0..<count { histogram[(i % c) * 256 + Int(p[i])] &+= 1 }
            }
        }
        for k in 0..<(c * 256) { tables[k] = UInt8(truncatingIfNeeded: k & 255) }
        let inv: Float = 1 / 255
        for step in steps {
            if step.isBrightness {
                let delta = step.value
                for k in 0..<(c * 256) { tables[k] = floatToUInt8(Float(tables[k]) * inv + delta) }
            } else {
                for ch in 0..<c {
                    let t = tables + ch * 256
                    let h = histogram + ch * 256
                    var sum = 0
                    for v in 0..<256 { sum += Int(h[v]) * Int(t[v]) }
                    let mean = channelMean(sum: sum, count: pixelCount)
                    let factor = step.value
                    for v in 0..<256 { t[v] = floatToUInt8((Float(t[v]) * inv - mean) * factor + mean) }
                }
            }
        }
        if c == 3 {
            var i = 0
            while i < count {
                p[i] = tables[Int(p[i])]
                p[i + 1] = tables[256 + Int(p[i + 1])]
                p[i + 2] = tables[512 + Int(p[i + 2])]
                i += 3
            }
        } else {
            for i in 0..<count { p[i] = tables[(i % c) * 256 + Int(p[i])] }
        }
    }

    private func plan(for key: PlanKey) -> BilinearPlan {
        if let (k, p) = lastPlan, k == key { return p }
        let plan =
            plans[key]
            ?? BilinearPlan(
                sourceHeight: key.sourceHeight, sourceWidth: key.sourceWidth, height: key.height, width: key.width,
                channels: key.channels)
        if plans.count < 64 { plans[key] = plan }
        lastPlan = (key, plan)
        return plan
    }
}

private struct PlanKey: Hashable {
    var sourceHeight: Int, sourceWidth: Int, height: Int, width: Int, channels: Int
}

/// `[crop] resize (flip | brightness | contrast)*`, the shape `Augmenter` fuses.
private struct FusedShape {
    enum Crop {
        case random(Int, Int)
        case center(Int, Int)
    }
    var crop: Crop?
    var height: Int, width: Int
    var tail: ArraySlice<AugmentSpec.Step>

    init?(_ spec: AugmentSpec) {
        var steps = spec.steps[...]
        switch steps.first {
        case .randomCrop(let h, let w)?:
            crop = .random(h, w)
            steps = steps.dropFirst()
        case .centerCrop(let h, let w)?:
            crop = .center(h, w)
            steps = steps.dropFirst()
        default: crop = nil
        }
        guard case .resizeBilinear(let h, let w)? = steps.first else { return nil }
        height = h
        width = w
        tail = steps.dropFirst()
        for step in tail {
            switch step {
            case .flip, .brightness, .contrast: continue
            default: return nil
            }
        }
    }
}
