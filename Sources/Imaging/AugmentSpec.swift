package import ShardKitSupport
/// A list of augmentation steps applied in order, parsed from and printed as a short string
/// such as `crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2` (recorded in manifests).
///
/// Tokens (comma-separated, applied left to right; sizes are `N` for `N×N` or `HxW`):
/// - `crop=HxW`: `tf.image.random_crop`; draws the top offset, then the left offset.
/// - `center=HxW`: a centred crop; no draws.
/// - `resize=HxW`: `tf.image.resize(method: "bilinear", antialias: false)`; no draws.
/// - `area=HxW`: `tf.image.resize(method: "area")`; no draws.
/// - `flip=lr`, `flip=ud`, `flip=lrud`: `random_flip_left_right` / `_up_down`, each one draw
///   (flip when uniform [0, 1) < 0.5); `lrud` draws left–right first.
/// - `brightness=B`: `random_brightness(B)`: one draw, delta uniform in [−B, B).
/// - `contrast=L:U`: `random_contrast(L, U)`: one draw, factor uniform in [L, U).
/// - `gray`: `rgb_to_grayscale`; no draws.
/// `none` (or the empty string) is the empty spec.
public struct AugmentSpec: Sendable, Equatable, CustomStringConvertible {
    /// One step of a spec; each case is one token of the syntax above. Crops larger than the
    /// image are clamped to it.
    public enum Step: Sendable, Equatable {
        /// `crop=HxW`: a window at a random offset (draws the top, then the left offset).
        case randomCrop(height: Int, width: Int)
        /// `center=HxW`: the centred window; an odd margin leaves its extra row or column at the bottom or right.
        case centerCrop(height: Int, width: Int)
        /// `resize=HxW`: bilinear, half-pixel centres, no antialiasing.
        case resizeBilinear(height: Int, width: Int)
        /// `area=HxW`: area averaging, as `tf.image.resize(method: "area")`.
        case resizeArea(height: Int, width: Int)
        /// `flip=lr|ud|lrud`: each enabled direction flips with probability 1/2, left–right first.
        case flip(leftRight: Bool, upDown: Bool)
        /// `brightness=B`: adds one delta uniform in [−B, B) to every sample (full scale is 1, so 0.1 ≈ 25 levels).
        case brightness(maxDelta: Double)
        /// `contrast=L:U`: scales each channel's distance from its mean by one factor in [L, U).
        case contrast(lower: Double, upper: Double)
        /// `gray`: `rgb_to_grayscale`'s weighted sum of R, G and B; one channel out (gray input unchanged).
        case grayscale
    }

    /// The steps in the order they apply; empty means no augmentation (`none`).
    public var steps: [Step]

    /// A spec of `steps` as given; sizes are not checked here (parsing checks them).
    public init(steps: [Step]) {
        self.steps = steps
    }

    /// Parses the spec syntax above; the error names the offending token.
    public init(parsing text: String) throws(AugmentSpecError) {
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty || trimmed == "none" {
            steps = []
            return
        }
        var steps: [Step] = []
        for raw in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let token = String(raw).trimmingSpaces
            let parts = token.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0]
            let value = parts.count > 1 ? parts[1] : nil
            func fail(_ why: String) -> AugmentSpecError { AugmentSpecError(token: token, message: why) }
            func size() throws(AugmentSpecError) -> (Int, Int) {
                guard let value else { throw fail("expected \(key)=N or \(key)=HxW") }
                let dims = value.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
                guard (1...2).contains(dims.count), let h = dims[0], let w = dims.last!, h > 0, w > 0 else {
                    throw fail("expected a positive size N or HxW, found \"\(value)\"")
                }
                return (h, w)
            }
            func number(_ s: String?) throws(AugmentSpecError) -> Double {
                guard let s, let v = Double(s), v.isFinite else {
                    throw fail("expected a number, found \"\(s ?? "")\"")
                }
                return v
            }
            switch key {
            case "crop":
                let (h, w) = try size()
                steps.append(.randomCrop(height: h, width: w))
            case "center":
                let (h, w) = try size()
                steps.append(.centerCrop(height: h, width: w))
            case "resize":
                let (h, w) = try size()
                steps.append(.resizeBilinear(height: h, width: w))
            case "area":
                let (h, w) = try size()
                steps.append(.resizeArea(height: h, width: w))
            case "flip":
                switch value {
                case "lr": steps.append(.flip(leftRight: true, upDown: false))
                case "ud": steps.append(.flip(leftRight: false, upDown: true))
                case "lrud": steps.append(.flip(leftRight: true, upDown: true))
                default: throw fail("expected flip=lr, flip=ud or flip=lrud")
                }
            case "brightness":
                let b = try number(value)
                guard b >= 0 else { throw fail("brightness must be ≥ 0") }
                steps.append(.brightness(maxDelta: b))
            case "contrast":
                let bounds = (value ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count == 2 else { throw fail("expected contrast=LOWER:UPPER") }
                let lo = try number(bounds[0])
                let hi = try number(bounds[1])
                guard lo >= 0, lo <= hi else { throw fail("contrast needs 0 ≤ lower ≤ upper") }
                steps.append(.contrast(lower: lo, upper: hi))
            case "gray":
                guard value == nil else { throw fail("gray takes no value") }
                steps.append(.grayscale)
            default:
                throw fail(
                    "unknown step \"\(key)\"; expected crop, center, resize, area, flip, brightness, contrast or gray")
            }
        }
        self.steps = steps
    }

    /// The spec in the syntax `init(parsing:)` reads; parsing it gives an equal spec.
    public var description: String {
        if steps.isEmpty { return "none" }
        func size(_ h: Int, _ w: Int) -> String { h == w ? "\(h)" : "\(h)x\(w)" }
        return steps.map { step -> String in
            switch step {
            case .randomCrop(let h, let w): return "crop=\(size(h, w))"
            case .centerCrop(let h, let w): return "center=\(size(h, w))"
            case .resizeBilinear(let h, let w): return "resize=\(size(h, w))"
            case .resizeArea(let h, let w): return "area=\(size(h, w))"
            case .flip(let lr, let ud): return "flip=" + (lr ? "lr" : "") + (ud ? "ud" : "")
            case .brightness(let b): return "brightness=\(b)"
            case .contrast(let lo, let hi): return "contrast=\(lo):\(hi)"
            case .grayscale: return "gray"
            }
        }.joined(separator: ",")
    }

    /// Why these steps cannot apply to images of `height`×`width` (a crop larger than the image
    /// it would cut, after the steps before it), or nil when they can. The augmentation engine
    /// would clamp such a crop to the image, silently doing nothing: callers refuse it instead.
    public func problem(height: Int, width: Int) -> String? {
        walk(height: height, width: width, channels: 1).problem
    }

    /// The shape images of `height`×`width`×`channels` have after the steps: crops (clamped to
    /// the image, as the engine clamps them) and resizes set the size, `gray` makes one channel.
    /// What a dataset of augmented records declares as its images' shape. A nil size is one that
    /// varies from image to image; a crop of it varies too (it is clamped to smaller images).
    public func outputShape(height: Int?, width: Int?, channels: Int) -> (height: Int?, width: Int?, channels: Int) {
        let walked = walk(height: height, width: width, channels: channels)
        return (walked.height, walked.width, walked.channels)
    }

    /// The one reading of what the steps do to an image's shape, step by step: the shape after
    /// them (crops clamped), and the first crop larger than the image it would cut.
    private func walk(height: Int?, width: Int?, channels: Int)
        -> (height: Int?, width: Int?, channels: Int, problem: String?)
    {
        var (h, w, c) = (height, width, channels)
        var problem: String? = nil
        for step in steps {
            switch step {
            case .randomCrop(let ch, let cw), .centerCrop(let ch, let cw):
                if problem == nil, let h, let w, ch > h || cw > w {
                    let token = AugmentSpec(steps: [step]).description
                    problem = "\(token) needs images of at least \(ch)×\(cw), these are \(h)×\(w)"
                }
                (h, w) = (h.map { min(ch, $0) }, w.map { min(cw, $0) })
            case .resizeBilinear(let rh, let rw), .resizeArea(let rh, let rw): (h, w) = (rh, rw)
            case .grayscale: c = 1
            case .flip, .brightness, .contrast: break
            }
        }
        return (h, w, c, problem)
    }

    /// Applies the steps one by one with the `Image` methods, drawing from `rng` in step order.
    /// A crop larger than the image is clamped to the image. This is the reference `Augmenter`
    /// (the one augmentation engine) falls back on for specs it does not fuse, and that tests
    /// compare it with.
    func applyStepByStep(to image: Image, rng: inout some RandomNumberGenerator) -> Image {
        var image = image
        for step in steps {
            switch step {
            case .randomCrop(let h, let w):
                image = image.randomCropped(height: min(h, image.height), width: min(w, image.width), using: &rng)
            case .centerCrop(let h, let w):
                image = image.centerCropped(height: min(h, image.height), width: min(w, image.width))
            case .resizeBilinear(let h, let w):
                image = image.resizedBilinear(height: h, width: w)
            case .resizeArea(let h, let w):
                image = image.resizedArea(height: h, width: w)
            case .flip(let lr, let ud):
                if lr, Draw.coin(using: &rng) { image = image.flippedLeftRight() }
                if ud, Draw.coin(using: &rng) { image = image.flippedUpDown() }
            case .brightness(let b):
                image = image.adjustingBrightness(by: Float(Draw.uniform(-b, b, using: &rng)))
            case .contrast(let lo, let hi):
                image = image.adjustingContrast(by: Float(Draw.uniform(lo, hi, using: &rng)))
            case .grayscale:
                image = image.grayscale()
            }
        }
        return image
    }
}

/// A spec string that does not parse; `token` is the offending comma-separated piece.
public struct AugmentSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The comma-separated piece that failed, spaces trimmed (e.g. `"flip=x"`).
    public var token: String
    /// Why it failed, with what was expected.
    public var message: String

    /// One line naming the token and the reason.
    public var description: String { "augmentation spec: bad token \"\(token)\": \(message)" }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

extension AugmentSpecError: CategorizedError {
    package var category: ErrorCategory { .usage }
}
