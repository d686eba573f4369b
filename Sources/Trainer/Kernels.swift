import Foundation

// Small element-wise loops shared by layers. They take raw pointers so the optimiser can
// vectorise them without bounds checks.

/// y[r, c] = act(y[r, c] + bias[c]) over a rows×cols row-major matrix (bias optional).
@inline(__always)
func addBiasActivate(
    _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?, activation: Activation
) {
    switch (bias, activation) {
    case (nil, .identity):
        return
    case (nil, .relu):
        for i in 0..<rows * cols { y[i] = max(y[i], 0) }
    case (let b?, .identity):
        for r in 0..<rows {
            let row = y + r * cols
            for c in 0..<cols { row[c] += b[c] }
        }
    case (let b?, .relu):
        for r in 0..<rows {
            let row = y + r * cols
            for c in 0..<cols { row[c] = max(row[c] + b[c], 0) }
        }
    }
}

/// g[i] = y[i] > 0 ? dy[i] : 0 — the gradient through a ReLU given its output.
@inline(__always)
func reluMask(output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { g[i] = y[i] > 0 ? dy[i] : 0 }
}

/// sums[c] = Σ_r m[r, c] over a rows×cols row-major matrix.
@inline(__always)
func columnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: cols)
    for r in 0..<rows {
        let row = m + r * cols
        for c in 0..<cols { sums[c] += row[c] }
    }
}

/// Monotonic nanoseconds, for the per-layer profile.
func nanotime() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
