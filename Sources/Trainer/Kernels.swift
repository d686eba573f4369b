import Foundation
internal import CShardKitConvKernels
internal import ShardKitSupport

// Small element-wise loops shared by layers. They take raw pointers so the optimiser can
// vectorise them without bounds checks.

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
func loadIndices(_ p: UnsafePointer<Int32>) -> SIMD8<Int32> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int32>.self)
}

@inline(__always)
func storeIndices(_ v: SIMD8<Int32>, _ p: UnsafeMutablePointer<Int32>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Int32>.self)
}

/// y[r, c] = act(y[r, c] + bias[c]) over a rows×cols row-major matrix (bias optional).
@inline(__always)
func addBiasActivate(
    _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>?, activation: Activation
) {
    let zero = SIMD8<Float>(repeating: 0)
    let vectorCols = cols & ~7
    switch (bias, activation) {
    case (nil, .identity):
        return
    case (nil, .relu):
        let n = rows * cols
        var i = 0
        while i + 8 <= n {
            let v = load8(y + i)
            store8(v.replacing(with: zero, where: v .< zero), y + i)
            i += 8
        }
        while i < n {
            y[i] = max(y[i], 0)
            i += 1
        }
    case (let b?, .identity):
        for r in 0..<rows {
            let row = y + r * cols
            var c = 0
            while c < vectorCols {
                store8(load8(row + c) + load8(b + c), row + c)
                c += 8
            }
            while c < cols {
                row[c] += b[c]
                c += 1
            }
        }
    case (let b?, .relu):
        for r in 0..<rows {
            let row = y + r * cols
            var c = 0
            while c < vectorCols {
                let v = load8(row + c) + load8(b + c)
                store8(v.replacing(with: zero, where: v .< zero), row + c)
                c += 8
            }
            while c < cols {
                row[c] = max(row[c] + b[c], 0)
                c += 1
            }
        }
    }
}

/// max(v, 0) lane-wise, as `Swift.max(v, 0)` gives it (−0 becomes +0, NaN stays NaN). Every
/// ReLU, fused or not, goes through these helpers so that fused and unfused layers agree bit for bit.
@inline(__always)
func relu8(_ v: SIMD8<Float>) -> SIMD8<Float> {
    v.replacing(with: SIMD8<Float>(repeating: 0), where: v .<= SIMD8<Float>(repeating: 0))
}

/// max(v, 0), as `relu8` computes each lane.
@inline(__always)
func reluScalar(_ v: Float) -> Float { v <= 0 ? 0 : v }

/// dy where the ReLU's output y is not ≤ 0, else 0, lane-wise.
@inline(__always)
func reluGradient8(_ y: SIMD8<Float>, _ dy: SIMD8<Float>) -> SIMD8<Float> {
    dy.replacing(with: SIMD8<Float>(repeating: 0), where: y .<= SIMD8<Float>(repeating: 0))
}

/// dy where the ReLU's output y is not ≤ 0, else 0, as `reluGradient8` computes each lane.
@inline(__always)
func reluGradient(_ y: Float, _ dy: Float) -> Float { y <= 0 ? 0 : dy }

/// y[i] = max(x[i], 0) for i in 0..<count (see `relu8`).
@inline(__always)
func reluForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(relu8(load8(x + i)), y + i)
        i += 8
    }
    while i < count {
        y[i] = reluScalar(x[i])
        i += 1
    }
}

/// g[i] = y[i] > 0 ? dy[i] : 0 — the gradient through a ReLU given its output.
@inline(__always)
func reluMask(
    output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, count: Int
) {
    var i = 0
    while i + 8 <= count {
        store8(reluGradient8(load8(y + i), load8(dy + i)), g + i)
        i += 8
    }
    while i < count {
        g[i] = reluGradient(y[i], dy[i])
        i += 1
    }
}

/// g = reluMask(y, dy) over a rows×cols row-major matrix, and sums[c] += Σ_r g[r, c]: the
/// masked gradient and its column sums (a bias gradient) in one pass over memory. Each column's
/// sum adds the rows in order, as `columnSums` does.
@inline(__always)
func reluMaskAndColumnSums(
    output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>,
    rows: Int, cols: Int, addingTo sums: UnsafeMutablePointer<Float>
) {
    reluMaskAndColumnSums(output: y, gradient: dy, into: g, rows: rows, cols: cols, rowStride: cols, addingTo: sums)
}

/// `reluMaskAndColumnSums` over a block of `cols` columns of wider matrices whose rows are
/// `rowStride` floats apart (y, dy and g alike): one worker's column block.
@inline(__always)
func reluMaskAndColumnSums(
    output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>,
    rows: Int, cols: Int, rowStride: Int, addingTo sums: UnsafeMutablePointer<Float>
) {
    let vectorCols = cols & ~7
    for r in 0..<rows {
        let (yr, dyr, gr) = (y + r * rowStride, dy + r * rowStride, g + r * rowStride)
        var c = 0
        while c < vectorCols {
            let v = reluGradient8(load8(yr + c), load8(dyr + c))
            store8(v, gr + c)
            store8(load8(sums + c) + v, sums + c)
            c += 8
        }
        while c < cols {
            let v = reluGradient(yr[c], dyr[c])
            gr[c] = v
            sums[c] += v
            c += 1
        }
    }
}

/// Inverted dropout of `count` elements: mask[i] = scale when uniforms[i] ≥ threshold, else 0,
/// and y[i] = x[i]·mask[i] (the same bits as the scalar loop).
@inline(__always)
func dropoutMask(
    _ uniforms: UnsafePointer<UInt32>, threshold: UInt32, scale: Float, _ x: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int
) {
    let (limit, keep, drop) = (SIMD8<UInt32>(repeating: threshold), SIMD8<Float>(repeating: scale), SIMD8<Float>())
    var i = 0
    while i + 8 <= count {
        let u = UnsafeRawPointer(uniforms + i).loadUnaligned(as: SIMD8<UInt32>.self)
        let m = drop.replacing(with: keep, where: u .>= limit)
        store8(m, mask + i)
        store8(load8(x + i) * m, y + i)
        i += 8
    }
    while i < count {
        let m: Float = uniforms[i] >= threshold ? scale : 0
        mask[i] = m
        y[i] = x[i] * m
        i += 1
    }
}

/// d[i] = a[i]·b[i] for i in 0..<count.
@inline(__always)
func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(a + i) * load8(b + i), d + i)
        i += 8
    }
    while i < count {
        d[i] = a[i] * b[i]
        i += 1
    }
}

/// d[i] += s[i] for i in 0..<count.
@inline(__always)
func addInPlace(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(d + i) + load8(s + i), d + i)
        i += 8
    }
    while i < count {
        d[i] += s[i]
        i += 1
    }
}

/// sums[c] = Σ_r m[r, c] over a rows×cols row-major matrix.
@inline(__always)
func columnSums(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
    columnSums(m, rows: rows, cols: cols, rowStride: cols, into: sums)
}

/// `columnSums` of a block of `cols` columns of a matrix whose rows are `rowStride` floats apart.
@inline(__always)
func columnSums(
    _ m: UnsafePointer<Float>, rows: Int, cols: Int, rowStride: Int, into sums: UnsafeMutablePointer<Float>
) {
    sums.update(repeating: 0, count: cols)
    let vectorCols = cols & ~7
    for r in 0..<rows {
        let row = m + r * rowStride
        var c = 0
        while c < vectorCols {
            store8(load8(sums + c) + load8(row + c), sums + c)
            c += 8
        }
        while c < cols {
            sums[c] += row[c]
            c += 1
        }
    }
}

/// d[j, i] = s[i, j] for a rows×cols matrix s (row strides given), through the C kernel of the
/// tier in force (`shardkit_transpose_tier`: 8×8 blocks in vector registers at the x86 tiers).
func transpose(
    _ s: UnsafePointer<Float>, rows: Int, cols: Int, sourceStride: Int, into d: UnsafeMutablePointer<Float>,
    destinationStride: Int
) {
    shardkit_transpose_tier(gemmTier.rawValue, s, rows, cols, sourceStride, d, destinationStride)
}

/// Monotonic nanoseconds, for the per-layer profile.
func nanotime() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
