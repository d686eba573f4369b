// Training throughput of the built-in models on random inputs (no input pipeline), in the
// format of ../shared/anchors: `RESULT name=… value=… unit=…`, plus a per-layer profile.
// Compare with tf_train_mnist.py / tf_train_svhn.py run in the same session at 2 threads.
import Foundation
import ShardKitSupport
@_spi(Benchmarks) import Trainer

let threads = 2
Model.setThreadCount(threads)

// The kernels in force and the CPU's FP32 FMA peak at that tier: every training figure below is
// also given as a fraction of it.
let peak = FMAPeak.measure(tier: CPUFeatures.tier, threads: threads)
// At the portable tier there is no probe (plain C has no vectors to count, and OpenBLAS picks its
// own kernels): no peak, so no fractions of it, rather than a division by zero.
let hasPeak = peak.flops > 0
print(
    "KERNELS tier=\(CPUFeatures.tier) cpu_tier=\(CPUFeatures.cpuTier) gemm=\"\(gemmKernelName)\"")
if hasPeak {
    print(
        "RESULT name=fma_peak_\(peak.tier) value=\(String(format: "%.1f", peak.flops / 1e9)) unit=GFLOP/s threads=\(threads)"
            + " clock_mhz=\(peak.clockHz.map { String(format: "%.0f", $0 / 1e6) } ?? "unknown")"
            + " fma_units=\(peak.fmaUnitsPerCore) lanes=\(peak.lanes)"
            + " clock_based=\(peak.clockBasedFLOPS.map { String(format: "%.1f", $0 / 1e9) } ?? "none")"
            + " measured=\(String(format: "%.1f", peak.measuredFLOPS / 1e9))")
} else {
    print("# no FMA peak at the \(peak.tier) tier (no probe there): fractions of peak are left out")
}

/// Multiply-add FLOPs (2 per multiply-add) of each layer in one training step, in `allLayers`
/// order: forward, then backward (dW, plus dX for every layer but the model's first).
func stepFLOPs(_ model: Model, batch: Int) -> [(forward: Double, backward: Double)] {
    func cost(_ layer: any Layer, input: [Int], first: Bool) -> (Double, Double) {
        var forward = 0.0
        // A fused convolution and pool (ConvPool) counts its convolution's work.
        if let conv = layer as? Conv2D ?? (layer as? ConvPool)?.conv {
            let output = conv.outputShape(for: input)
            forward = 2 * Double(output.reduce(1, *)) * Double(conv.kernelSize * conv.kernelSize * conv.inChannels)
        } else if let dense = layer as? Dense {
            forward = 2 * Double(input[0] * dense.inputSize * dense.outputSize)
        }
        return (forward, forward * (first ? 1 : 2))
    }
    var result: [(Double, Double)] = []
    var shape = [batch] + model.inputShape
    for (i, layer) in model.trunk.enumerated() {
        result.append(cost(layer, input: shape, first: i == 0))
        shape = layer.outputShape(for: shape)
    }
    for head in model.heads {
        var headShape = shape
        for layer in head.layers {
            result.append(cost(layer, input: headShape, first: false))
            headShape = layer.outputShape(for: headShape)
        }
    }
    return result
}

func randomBatch(count: Int, shape: [Int], seed: UInt64) -> Tensor {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var t = Tensor(shape: [count] + shape)
    for i in t.scalars.indices {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        t.scalars[i] = Float(state >> 40) / 16_777_216
    }
    return t
}

func labels(count: Int, classes: Int, seed: UInt64) -> [Int32] {
    var state = seed &+ 12345
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int32((state >> 33) % UInt64(classes))
    }
}

/// Results of a run capped below the CPU's own tier (SHARDKIT_ISA) carry the tier in their names,
/// so one `make bench` can show both tiers side by side.
let nameSuffix = CPUFeatures.tier == CPUFeatures.cpuTier ? "" : "_\(CPUFeatures.tier)"

func run(
    _ baseName: String, model: Model, batch: Int, optimizer: any Optimizer, labelSets: (Int, UInt64) -> [[Int32]],
    warmup: Int, steps: Int
) {
    let name = baseName + nameSuffix
    let pool = 8
    let images = (0..<pool).map { randomBatch(count: batch, shape: model.inputShape, seed: UInt64($0)) }
    let targets = (0..<pool).map { labelSets(batch, UInt64($0)) }
    for i in 0..<warmup { model.trainStep(images: images[i % pool], labels: targets[i % pool], optimizer: optimizer) }
    let cpuStart = cpuSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    var loss: Float = 0
    for i in 0..<steps {
        loss = model.trainStep(images: images[i % pool], labels: targets[i % pool], optimizer: optimizer)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    let cpu = (cpuSeconds() - cpuStart) / Double(steps)
    let rate = Double(steps * batch) / seconds
    let flops = stepFLOPs(model, batch: batch)
    let flopsPerStep = flops.reduce(0) { $0 + $1.forward + $1.backward }
    let achieved = flopsPerStep * Double(steps) / seconds
    print(
        "RESULT name=\(name) value=\(String(format: "%.1f", rate)) unit=images/s batch=\(batch) threads=\(threads)"
            + " tier=\(CPUFeatures.tier)"
            + " ms_per_step=\(String(format: "%.2f", seconds / Double(steps) * 1e3))"
            + " cpu_ms_per_step=\(String(format: "%.2f", cpu * 1e3)) steps=\(steps) loss=\(loss)"
            + " gflop_per_step=\(String(format: "%.3f", flopsPerStep / 1e9))")
    if hasPeak {
        print(
            "RESULT name=\(name)_peak_fraction value=\(String(format: "%.3f", achieved / peak.flops)) unit=fraction"
                + " tier=\(CPUFeatures.tier) gflops=\(String(format: "%.1f", achieved / 1e9))"
                + " peak_gflops=\(String(format: "%.1f", peak.flops / 1e9))")
    }

    // A separate profiled run: timing every layer adds a little overhead, so it is not in the figure above.
    model.isProfiling = true
    model.resetProfile()
    for i in 0..<steps / 2 {
        model.trainStep(images: images[i % pool], labels: targets[i % pool], optimizer: optimizer)
    }
    model.isProfiling = false
    let n = Double(model.profiledSteps)
    print(
        "PROFILE \(name) (tier \(CPUFeatures.tier), peak \(hasPeak ? String(format: "%.1f", peak.flops / 1e9) : "none") GFLOP/s):"
            + " per step, ms forward / backward, GFLOP/s forward / backward, fraction of peak forward / backward")
    var total = 0.0
    func gflops(_ work: Double, _ ms: Double) -> String {
        work == 0 ? "       -" : String(format: "%8.1f", work / (ms * 1e-3) / 1e9)
    }
    func share(_ work: Double, _ ms: Double) -> String {
        work == 0 || !hasPeak ? "     -" : String(format: "%6.2f", work / (ms * 1e-3) / peak.flops)
    }
    // The profile has one entry per layer, then the loss and the optimizer step.
    for (i, entry) in model.profile.enumerated() {
        let f = entry.forwardSeconds / n * 1e3
        let b = entry.backwardSeconds / n * 1e3
        total += f + b
        let work: (forward: Double, backward: Double) = i < flops.count ? flops[i] : (0, 0)
        let times = String(format: "%8.2f %8.2f", f, b)
        let rates = "\(gflops(work.forward, f)) \(gflops(work.backward, b))"
        let shares = "\(share(work.forward, f)) \(share(work.backward, b))"
        print("  \(entry.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(times) \(rates) \(shares)")
    }
    print("  total      \(String(format: "%8.2f", total))")
}

/// CPU time of the whole process (all threads), for a view that is less sensitive to other
/// processes sharing the cores than wall-clock time.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let args = CommandLine.arguments
let steps = args.count > 1 ? Int(args[1]) ?? 50 : 50

let only = args.count > 2 ? args[2] : "all"

// GEMM micro-benchmark: one thread, the products of each convolution of the two nets (one
// worker's share of the batch): forward, dW, and dX both as the column product before col2im
// and as a convolution of the padded gradient (what Conv2D runs with 8+ channels at stride 1);
// our tiles of the tier in force against OpenBLAS on im2col matrices.
if only == "all" || only == "gemm" {
    let convolutions = [
        ("mnist_conv1", ConvolutionGEMMBenchmark(images: 64, size: 28, channels: 1, filters: 32, kernelSize: 5)),
        ("mnist_conv2", ConvolutionGEMMBenchmark(images: 64, size: 14, channels: 32, filters: 64, kernelSize: 5)),
        ("digits_conv1", ConvolutionGEMMBenchmark(images: 16, size: 54, channels: 3, filters: 48, kernelSize: 5)),
        ("digits_conv2", ConvolutionGEMMBenchmark(images: 16, size: 27, channels: 48, filters: 64, kernelSize: 5)),
        ("digits_conv3", ConvolutionGEMMBenchmark(images: 16, size: 14, channels: 64, filters: 128, kernelSize: 5)),
    ]
    for (name, conv) in convolutions {
        for (kernel, openBLAS) in [(ConvolutionGEMMBenchmark.tierName, false), ("openblas", true)] {
            let r = conv.rates(openBLAS: openBLAS)
            print(
                "RESULT name=shardkit_gemm_\(name) value=\(String(format: "%.1f", r.forward)) unit=GFLOP/s"
                    + " kernel=\(kernel) threads=1 dW_gflops=\(String(format: "%.1f", r.weights))"
                    + " dXcol_gflops=\(String(format: "%.1f", r.inputColumns))"
                    + " dXconv_gflops=\(String(format: "%.1f", r.inputConvolution))")
        }
    }
}
if only == "gemm" { exit(0) }
if only != "digits" {
    run(
        "shardkit_train_mnist", model: .mnist(seed: 0), batch: 128,
        optimizer: Adam(learningRate: .constant(1e-4)),
        labelSets: { n, s in [labels(count: n, classes: 10, seed: s)] }, warmup: 5, steps: steps)
}
if only != "mnist" {

    run(
        "shardkit_train_digits", model: .digits(seed: 0), batch: 32,
        optimizer: SGD(learningRate: .constant(0.01)),
        labelSets: { n, s in
            let lengths = labels(count: n, classes: 5, seed: s).map { $0 + 1 }
            var sets = [lengths]
            for k in 0..<5 {
                let d = labels(count: n, classes: 10, seed: s &+ UInt64(k + 1) &* 977)
                sets.append((0..<n).map { k < Int(lengths[$0]) ? d[$0] : 10 })
            }
            return sets
        }, warmup: 5, steps: steps)
}
