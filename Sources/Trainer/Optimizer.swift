internal import CShardKitConvKernels
import Foundation
internal import ShardKitSupport

/// A learning rate as a function of the optimizer step: `initial · rate^(step / decaySteps)`
/// (exponential decay; with `staircase` the exponent is rounded down).
/// SPI for the benchmarks package; `TrainingSession` builds its schedule from `TrainingConfiguration`.
@_spi(Benchmarks) public struct LearningRateSchedule: Sendable, Equatable {
    /// The rate at step 0.
    public var initial: Float
    /// The factor per `decaySteps` steps (1: constant; 0.5: halved every period).
    public var decayRate: Float
    /// The decay period in optimizer steps (positive).
    public var decaySteps: Int
    /// Decay in whole periods (a step function) rather than continuously.
    public var staircase: Bool

    /// Exponential decay; `decayRate` 1 gives a constant rate.
    public init(initial: Float, decayRate: Float = 1, decaySteps: Int = 1, staircase: Bool = false) {
        precondition(decaySteps > 0, "decaySteps must be positive")
        self.initial = initial
        self.decayRate = decayRate
        self.decaySteps = decaySteps
        self.staircase = staircase
    }

    /// A constant learning rate.
    public static func constant(_ rate: Float) -> LearningRateSchedule { LearningRateSchedule(initial: rate) }

    /// The rate for step `step` (0-based).
    public func rate(at step: Int) -> Float {
        var exponent = Double(step) / Double(decaySteps)
        if staircase { exponent.round(.down) }
        return initial * Float(pow(Double(decayRate), exponent))
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
    private var velocity: [String: [Float]] = [:]

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
        for p in parameters where p.isTrainable && p.value.count > 0 {
            if mu != 0 && velocity[p.name] == nil {
                velocity[p.name] = [Float](repeating: 0, count: p.value.count)
            }
            p.gradient.scalars.withUnsafeBufferPointer { gb in
                p.value.scalars.withUnsafeMutableBufferPointer { wb in
                    let (g, w, count) = (gb.baseAddress!, wb.baseAddress!, wb.count)
                    // Elementwise, so any split gives the same bits; big tensors use every thread.
                    let parts = Workers.parts(for: count, minimum: 1 << 16)
                    if mu == 0 {
                        Workers.run(parts) { part in
                            let r = Workers.range(count, parts: parts, part: part)
                            sgdStep(w + r.lowerBound, gradient: g + r.lowerBound, count: r.count, lr: lr, decay: decay)
                        }
                    } else {
                        velocity[p.name]!.withUnsafeMutableBufferPointer { vb in
                            let v = vb.baseAddress!
                            Workers.run(parts) { part in
                                let r = Workers.range(count, parts: parts, part: part)
                                momentumStep(
                                    w + r.lowerBound, velocity: v + r.lowerBound, gradient: g + r.lowerBound,
                                    count: r.count, lr: lr, momentum: mu, decay: decay)
                            }
                        }
                    }
                }
            }
        }
        step += 1
    }

    /// The velocities, keyed `velocity/<parameter name>`.
    public func state() -> [String: Tensor] {
        velocity.reduce(into: [:]) { $0["velocity/\($1.key)"] = Tensor(shape: [$1.value.count], scalars: $1.value) }
    }

    /// Restores what `state()` returned, at `step`.
    public func restore(state: [String: Tensor], step: Int) {
        self.step = step
        velocity = [:]
        for (key, t) in state where key.hasPrefix("velocity/") { velocity[String(key.dropFirst(9))] = t.scalars }
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
        for p in parameters where p.isTrainable {
            let s: Slots
            if let existing = slots[p.name] {
                s = existing
            } else {
                s = Slots(count: p.value.count)
                slots[p.name] = s
            }
            p.gradient.scalars.withUnsafeBufferPointer { gb in
                p.value.scalars.withUnsafeMutableBufferPointer { wb in
                    s.m.withUnsafeMutableBufferPointer { mb in
                        s.v.withUnsafeMutableBufferPointer { vb in
                            let (g, w, m, v) = (gb.baseAddress!, wb.baseAddress!, mb.baseAddress!, vb.baseAddress!)
                            let count = wb.count
                            let parts = Workers.parts(for: count, minimum: 1 << 16)
                            Workers.run(parts) { part in
                                let r = Workers.range(count, parts: parts, part: part)
                                adamStep(
                                    w + r.lowerBound, m: m + r.lowerBound, v: v + r.lowerBound,
                                    gradient: g + r.lowerBound, count: r.count, beta1: b1, beta2: b2, epsilon: eps,
                                    stepSize: lrT, decay: decay, tier: tier)
                            }
                        }
                    }
                }
            }
        }
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
