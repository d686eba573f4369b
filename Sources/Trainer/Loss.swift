import Foundation

/// Softmax cross-entropy over logits `[N, K]` and integer labels in `0..<K`.
///
/// Numerically stable (the row maximum is subtracted before `exp`); the loss is the mean over
/// the batch, so the gradient is (softmax − onehot) / N.
enum SoftmaxCrossEntropy {
    /// The mean loss; writes dLoss/dLogits into `gradient` (resized to the logits' shape).
    static func loss(logits: Tensor, labels: [Int32], gradient: inout Tensor) -> Float {
        precondition(
            logits.shape.count == 2 && logits.shape[0] == labels.count,
            "logits \(logits.shape) vs \(labels.count) labels")
        gradient.resize(to: logits.shape)
        let (n, k) = (logits.shape[0], logits.shape[1])
        var total = 0.0
        logits.scalars.withUnsafeBufferPointer { z in
            gradient.scalars.withUnsafeMutableBufferPointer { g in
                for r in 0..<n {
                    let row = z.baseAddress! + r * k
                    let out = g.baseAddress! + r * k
                    let label = Int(labels[r])
                    precondition(label >= 0 && label < k, "label \(label) outside 0..<\(k)")
                    var m = row[0]
                    for j in 1..<k { m = max(m, row[j]) }
                    var sum: Float = 0
                    for j in 0..<k {
                        let e = expf(row[j] - m)
                        out[j] = e
                        sum += e
                    }
                    // loss_r = log Σ exp(z − m) − (z_label − m)
                    total += Double(logf(sum) - (row[label] - m))
                    let scale = 1 / (sum * Float(n))
                    for j in 0..<k { out[j] *= scale }
                    out[label] -= 1 / Float(n)
                }
            }
        }
        return Float(total / Double(n))
    }

    /// The mean loss alone.
    static func loss(logits: Tensor, labels: [Int32]) -> Float {
        var scratch = Tensor(shape: [0])
        return loss(logits: logits, labels: labels, gradient: &scratch)
    }
}

/// The loss of a multi-head classifier: the sum of each head's mean softmax cross-entropy
/// (e.g. a length head plus five digit heads for digit strings).
enum MultiHeadLoss {
    /// The summed loss; writes each head's logit gradient into `gradients[h]`.
    static func loss(logits: [Tensor], labels: [[Int32]], gradients: inout [Tensor]) -> Float {
        precondition(logits.count == labels.count, "\(logits.count) heads but \(labels.count) label sets")
        if gradients.count != logits.count { gradients = logits.map { Tensor(shape: $0.shape) } }
        var total: Float = 0
        for h in logits.indices {
            total += SoftmaxCrossEntropy.loss(logits: logits[h], labels: labels[h], gradient: &gradients[h])
        }
        return total
    }
}
