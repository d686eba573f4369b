internal import CShardKitConvKernels
import Foundation
internal import ShardKitSupport

/// A learning rate as a function of the optimizer step: a peak `initial` and a `Curve` down from
/// it (exponential decay or a half cosine).
/// SPI for the benchmarks package; `TrainingSession` builds its schedule from `TrainingConfiguration`.
@_spi(Benchmarks) public struct LearningRateSchedule: Sendable, Equatable {
    /// How the rate falls from `initial`.
    public enum Curve: Sendable, Equatable {
        /// `initial · decayRate^(step / decaySteps)`, the exponent rounded down when `staircase`
        /// (a step function); `decayRate` 1 is a constant rate. `decaySteps` is positive.
        case exponential(decayRate: Float, decaySteps: Int, staircase: Bool)
        /// Half a cosine wave from `initial` at step 0 to `finalFraction · initial` at step
        /// `steps`, flat after it.
        case cosine(steps: Int, finalFraction: Float)
    }

    /// The rate at step 0.
    public var initial: Float
    /// How it falls from there.
    public var curve: Curve

    /// Exponential decay; `decayRate` 1 gives a constant rate.
    public init(initial: Float, decayRate: Float = 1, decaySteps: Int = 1, staircase: Bool = false) {
        precondition(decaySteps > 0, "decaySteps must be positive")
        self.initial = initial
        self.curve = .exponential(decayRate: decayRate, decaySteps: decaySteps, staircase: staircase)
    }

    /// A constant learning rate.
    public static func constant(_ rate: Float) -> LearningRateSchedule { LearningRateSchedule(initial: rate) }

    /// Half a cosine wave from `initial` at step 0 to `finalFraction · initial` at step `steps`,
    /// flat after it: the rate stays near its peak for the first third of the run and anneals in
    /// the last.
    public static func cosine(initial: Float, steps: Int, finalFraction: Float) -> LearningRateSchedule {
        precondition(steps > 0, "steps must be positive")
        var schedule = LearningRateSchedule(initial: initial)
        schedule.curve = .cosine(steps: steps, finalFraction: finalFraction)
        return schedule
    }

    /// The rate for step `step` (0-based).
    public func rate(at step: Int) -> Float {
        switch curve {
        case .cosine(let steps, let finalFraction):
            let progress = Double(min(step, steps)) / Double(steps)
            let wave = 0.5 * (1 + cos(Double.pi * progress))
            return initial * Float(Double(finalFraction) + (1 - Double(finalFraction)) * wave)
        case .exponential(let decayRate, let decaySteps, let staircase):
            var exponent = Double(step) / Double(decaySteps)
            if staircase { exponent.round(.down) }
            return initial * Float(pow(Double(decayRate), exponent))
        }
    }
}

/// Updates trainable parameters from their gradients.
///
/// Weight decay is *decoupled* in both optimizers (Loshchilov & Hutter): before the gradient
/// update, w ← w − lr·λ·w. It never enters the gradient, so Adam's moments do not see it.
///
/// SPI for the benchmarks package; `TrainingSession` builds one from `TrainingConfiguration`.
@_spi(Benchmarks) public protocol Optimizer: AnyObject {
    /// A short name stored in checkpoints ("sgd", "adam").
    var kind: String { get }
    /// Updates applied so far; the schedule is evaluated at this step.
    var step: Int { get set }
    /// The learning rate per step.
    var schedule: LearningRateSchedule { get set }
    /// Applies one update to every trainable parameter and increments `step`.
    func update(_ parameters: [Parameter])
    /// The per-parameter state, keyed `<slot>/<parameter name>` (e.g. `m/conv1/kernel`).
    func state() -> [String: Tensor]
    /// Restores state written by `state()` (missing slots start at zero).
    func restore(state: [String: Tensor], step: Int)
}

/// Stochastic gradient descent with (optional) momentum, Keras-style:
/// v ← μ·v − lr·g; w ← w + v.
/// SPI for the benchmarks package; `TrainingSession` builds one from `TrainingConfiguration`.
@_spi(Benchmarks) public final class SGD: Optimizer {
    /// "sgd", as stored in checkpoints.
    public let kind = "sgd"
    /// Updates applied so far.
    public var step = 0
    /// The learning rate per step.
    public var schedule: LearningRateSchedule
    /// μ, the velocity's decay per step (0: plain gradient descent).
    public let momentum: Float
    /// λ, the decoupled weight decay per unit of learning rate (0: none).
    public let weightDecay: Float
    /// Each parameter's velocity, in a box of its own so that the update can hold every one open at once.
    private final class Velocity {
        var values: [Float]
        init(_ values: [Float]) { self.values = values }
    }
    private var velocity: [String: Velocity] = [:]

    /// SGD with the given schedule, momentum μ and decoupled weight decay λ.
    public init(learningRate: LearningRateSchedule, momentum: Float = 0, weightDecay: Float = 0) {
        self.schedule = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Applies one update to every trainable parameter and increments `step`.
    public func update(_ parameters: [Parameter]) {
        let lr = schedule.rate(at: step)
        let (mu, decay) = (momentum, 1 - lr * weightDecay)
        let updated = parameters.filter { $0.isTrainable && $0.value.count > 0 }
        let velocities = updated.map { p -> Velocity? in
            guard mu != 0 else { return nil }
            if let existing = velocity[p.name] { return existing }
            let v = Velocity([Float](repeating: 0, count: p.value.count))
            velocity[p.name] = v
            return v
        }
        withStepOperands(
            count: updated.count,
            open: { i, use in
                let p = updated[i]
                p.gradient.scalars.withUnsafeBufferPointer { g in
                    p.value.scalars.withUnsafeMutableBufferPointer { w in
                        guard let velocity = velocities[i] else {
                            return use(StepOperands(value: w.baseAddress!, gradient: g.baseAddress!, count: w.count))
                        }
                        velocity.values.withUnsafeMutableBufferPointer { v in
                            use(
                                StepOperands(
                                    value: w.baseAddress!, gradient: g.baseAddress!, first: v.baseAddress!,
                                    count: w.count))
                        }
                    }
                }
            },
            body: { operands in
                forEachElementRange(of: operands) { o, r in
                    if let v = o.first {
                        momentumStep(
                            o.value + r.lowerBound, velocity: v + r.lowerBound, gradient: o.gradient + r.lowerBound,
                            count: r.count, lr: lr, momentum: mu, decay: decay)
                    } else {
                        sgdStep(
                            o.value + r.lowerBound, gradient: o.gradient + r.lowerBound, count: r.count, lr: lr,
                            decay: decay)
                    }
                }
            })
        step += 1
    }

    /// The velocities, keyed `velocity/<parameter name>`.
    public func state() -> [String: Tensor] {
        velocity.reduce(into: [:]) {
            $0["velocity/\($1.key)"] = Tensor(shape: [$1.value.values.count], scalars: $1.value.values)
        }
    }

    /// Restores what `state()` returned, at `step`.
    public func restore(state: [String: Tensor], step: Int) {
        self.step = step
        velocity = [:]
        for (key, t) in state where key.hasPrefix("velocity/") {
            velocity[String(key.dropFirst(9))] = Velocity(t.scalars)
        }
    }
}

/// Adam (Kingma & Ba) with Keras' defaults (β₁ 0.9, β₂ 0.999, ε 1e-7) and bias correction
/// folded into the step size: lr_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ); w ← w − lr_t·m / (√v + ε).
/// SPI for the benchmarks package; `TrainingSession` builds one from `TrainingConfiguration`.
@_spi(Benchmarks) public final class Adam: Optimizer {
    /// "adam", as stored in checkpoints.
    public let kind = "adam"
    /// Updates applied so far (t − 1 in the bias correction).
    public var step = 0
    /// The learning rate per step.
    public var schedule: LearningRateSchedule
    /// β₁, the decay of the first-moment (mean) estimate.
    public let beta1: Float
    /// β₂, the decay of the second-moment (uncentred variance) estimate.
    public let beta2: Float
    /// ε, added to √v so that the step stays finite.
    public let epsilon: Float
    /// λ, the decoupled weight decay per unit of learning rate (0: none).
    public let weightDecay: Float
    private final class Slots {
        var m: [Float]
        var v: [Float]
        init(count: Int) {
            m = [Float](repeating: 0, count: count)
            v = m
        }
    }
    private var slots: [String: Slots] = [:]
    /// The tier whose element-wise kernel runs the update (the tier in force; tests pick others,
    /// and the C side clamps a tier this process may not run).
    var kernelTier = CPUFeatures.tier

    /// Adam with the given schedule, moment decays, ε and decoupled weight decay λ.
    public init(
        learningRate: LearningRateSchedule, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
        weightDecay: Float = 0
    ) {
        self.schedule = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Applies one update to every trainable parameter and increments `step`.
    public func update(_ parameters: [Parameter]) {
        let lr = schedule.rate(at: step)
        let t = Double(step + 1)
        let lrT = Float(Double(lr) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let decay = 1 - lr * weightDecay
        let tier = kernelTier
        // Every trainable parameter has its moments (in checkpoints too), even an empty one.
        for p in parameters where p.isTrainable && slots[p.name] == nil { slots[p.name] = Slots(count: p.value.count) }
        let updated = parameters.filter { $0.isTrainable && $0.value.count > 0 }
        let moments = updated.map { slots[$0.name]! }
        withStepOperands(
            count: updated.count,
            open: { i, use in
                let (p, s) = (updated[i], moments[i])
                p.gradient.scalars.withUnsafeBufferPointer { g in
                    p.value.scalars.withUnsafeMutableBufferPointer { w in
                        s.m.withUnsafeMutableBufferPointer { m in
                            s.v.withUnsafeMutableBufferPointer { v in
                                use(
                                    StepOperands(
                                        value: w.baseAddress!, gradient: g.baseAddress!, first: m.baseAddress!,
                                        second: v.baseAddress!, count: w.count))
                            }
                        }
                    }
                }
            },
            body: { operands in
                forEachElementRange(of: operands) { o, r in
                    adamStep(
                        o.value + r.lowerBound, m: o.first! + r.lowerBound, v: o.second! + r.lowerBound,
                        gradient: o.gradient + r.lowerBound, count: r.count, beta1: b1, beta2: b2, epsilon: eps,
                        stepSize: lrT, decay: decay, tier: tier)
                }
            })
        step += 1
    }

    /// The moments, keyed `m/<parameter name>` and `v/<parameter name>`.
    public func state() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, s) in slots {
            out["m/\(name)"] = Tensor(shape: [s.m.count], scalars: s.m)
            out["v/\(name)"] = Tensor(shape: [s.v.count], scalars: s.v)
        }
        return out
    }

    /// Restores what `state()` returned, at `step`.
    public func restore(state: [String: Tensor], step: Int) {
        self.step = step
        slots = [:]
        for (key, t) in state where key.hasPrefix("m/") {
            let name = String(key.dropFirst(2))
            let s = Slots(count: t.count)
            s.m = t.scalars
            if let v = state["v/\(name)"] { s.v = v.scalars }
            slots[name] = s
        }
    }
}

/// One parameter's storage for an element-wise optimizer step: its value and gradient, and up
/// to two state slots (SGD's velocity; Adam's moments), `count` floats each.
struct StepOperands {
    var value: UnsafeMutablePointer<Float>
    var gradient: UnsafePointer<Float>
    var first: UnsafeMutablePointer<Float>? = nil
    var second: UnsafeMutablePointer<Float>? = nil
    var count: Int
}

/// Calls `body` with the operands of `count` parameters, all held open at once: `open(i, use)`
/// must call `use` exactly once, from inside the scopes that pin parameter i's arrays, with
/// their addresses. The scopes nest (parameter 0's outermost), so every address stays valid
/// until `body` returns.
func withStepOperands(
    count: Int, open: (Int, (StepOperands) -> Void) -> Void, body: ([StepOperands]) -> Void
) {
    // `open` is handed a closure that calls `open` again; Swift allows that only for a closure
    // typed escaping, which it does not become: every call returns before this function does.
    withoutActuallyEscaping(open) { open in
        var operands: [StepOperands] = []
        operands.reserveCapacity(count)
        func openFrom(_ i: Int) {
            guard i < count else { return body(operands) }
            open(i) { o in
                operands.append(o)
                openFrom(i + 1)
            }
        }
        openFrom(0)
    }
}

/// Runs `step(operands, range)` over every element of every parameter as one job: the elements
/// of all parameters, end to end, are cut into one contiguous range per worker, so small
/// tensors share the threads instead of each running alone, and the update costs one hand-off
/// rather than one per parameter. The steps are element-wise, so any cut gives the same bits.
func forEachElementRange(of operands: [StepOperands], _ step: (StepOperands, Range<Int>) -> Void) {
    let total = operands.reduce(0) { $0 + $1.count }
    let parts = Workers.parts(for: total, minimum: 1 << 16)
    Workers.run(parts) { part in
        let range = Workers.range(total, parts: parts, part: part)
        var start = 0
        for o in operands {
            let lower = max(range.lowerBound - start, 0)
            let upper = min(range.upperBound - start, o.count)
            if lower < upper { step(o, lower..<upper) }
            start += o.count
        }
    }
}

/// w ← w·decay − lr·g over `count` elements.
@inline(__always)
private func sgdStep(
    _ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count: Int, lr: Float, decay: Float
) {
    var i = 0
    while i + 8 <= count {
        store8(load8(w + i) * decay - lr * load8(g + i), w + i)
        i += 8
    }
    while i < count {
        w[i] = w[i] * decay - lr * g[i]
        i += 1
    }
}

/// v ← μ·v − lr·g; w ← w·decay + v over `count` elements.
@inline(__always)
private func momentumStep(
    _ w: UnsafeMutablePointer<Float>, velocity v: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
    count: Int, lr: Float, momentum mu: Float, decay: Float
) {
    var i = 0
    while i + 8 <= count {
        let vi = mu * load8(v + i) - lr * load8(g + i)
        store8(vi, v + i)
        store8(load8(w + i) * decay + vi, w + i)
        i += 8
    }
    while i < count {
        v[i] = mu * v[i] - lr * g[i]
        w[i] = w[i] * decay + v[i]
        i += 1
    }
}

/// One Adam update of `count` elements through the C kernel of `tier`
/// (`shardkit_adam_step_tier`): m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², w ← w·decay −
/// stepSize·m / (√v + ε), with no fused operations, so every tier gives the same bits.
@inline(__always)
func adamStep(
    _ w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
    gradient g: UnsafePointer<Float>, count: Int, beta1: Float, beta2: Float, epsilon: Float, stepSize: Float,
    decay: Float, tier: KernelTier
) {
    shardkit_adam_step_tier(
        tier.rawValue, w, m, v, g, count, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, stepSize, decay)
}
