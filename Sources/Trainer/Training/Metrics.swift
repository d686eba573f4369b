import Foundation

/// Accuracy over batches of predictions.
///
/// Classifiers: top-1 and top-3 accuracy and a confusion matrix. Digit strings (a length head and
/// five digit heads): whole-sequence accuracy (the length and every digit inside the true length
/// right), per-digit accuracy (over the true digits) and length accuracy; the confusion matrix
/// counts digits (0–9, and 10 for "no digit").
public struct Metrics: Sendable, Equatable {
    /// Whether these are digit-string metrics (a length head and five digit heads).
    public let isDigitString: Bool
    /// The side of the confusion matrix: the model's classes, or 11 for digit strings (the
    /// digits 0–9 and 10 for "no digit").
    public let classes: Int
    /// Images (or digit strings) counted.
    public private(set) var examples = 0
    /// Classifiers: images whose highest logit is the true class.
    public private(set) var top1Correct = 0
    /// Classifiers: images whose true class is among the three highest logits.
    public private(set) var top3Correct = 0
    /// Digit strings: strings with the right length and every digit inside it right.
    public private(set) var sequencesCorrect = 0
    /// Digit strings: strings whose length was predicted right.
    public private(set) var lengthsCorrect = 0
    /// Digit strings: digits inside the true length predicted right.
    public private(set) var digitsCorrect = 0
    /// Digit strings: digits inside the true length (the denominator of `digitAccuracy`).
    public private(set) var digitsSeen = 0
    private(set) var lossSum = 0.0
    private(set) var lossBatches = 0
    /// `confusion[truth * classes + predicted]`.
    public private(set) var confusion: [Int]

    init(isDigitString: Bool, classes: Int) {
        self.isDigitString = isDigitString
        self.classes = isDigitString ? 11 : classes
        confusion = [Int](repeating: 0, count: self.classes * self.classes)
    }

    /// Top-1 accuracy (classifiers) or whole-sequence accuracy (digit strings), in [0, 1].
    public var accuracy: Double {
        examples == 0 ? 0 : Double(isDigitString ? sequencesCorrect : top1Correct) / Double(examples)
    }
    /// Classifiers: `top3Correct / examples`, in [0, 1] (0 before any example).
    public var top3Accuracy: Double { examples == 0 ? 0 : Double(top3Correct) / Double(examples) }
    /// Digit strings: `digitsCorrect / digitsSeen`, in [0, 1].
    public var digitAccuracy: Double { digitsSeen == 0 ? 0 : Double(digitsCorrect) / Double(digitsSeen) }
    /// Digit strings: `lengthsCorrect / examples`, in [0, 1].
    public var lengthAccuracy: Double { examples == 0 ? 0 : Double(lengthsCorrect) / Double(examples) }
    /// The mean over batches of the summed heads' mean softmax cross-entropy (nats).
    public var meanLoss: Double { lossBatches == 0 ? 0 : lossSum / Double(lossBatches) }

    /// Counts one batch's loss into `meanLoss`.
    mutating func addLoss(_ loss: Float) {
        lossSum += Double(loss)
        lossBatches += 1
    }

    /// Adds a batch: `logits[h]` is `[N, K_h]`, `labels[h]` the true classes.
    mutating func add(logits: [Tensor], labels: [[Int32]]) {
        let n = labels[0].count
        let predictions = logits.map { Self.ranked($0, top: 3) }
        for i in 0..<n {
            examples += 1
            if isDigitString {
                let length = Int(labels[0][i])
                let predictedLength = predictions[0][i][0]
                if predictedLength == length { lengthsCorrect += 1 }
                var allRight = predictedLength == length
                for k in 0..<5 {
                    let truth = Int(labels[k + 1][i])
                    let guess = predictions[k + 1][i][0]
                    confusion[truth * classes + guess] += 1
                    if k < length {
                        digitsSeen += 1
                        if guess == truth { digitsCorrect += 1 } else { allRight = false }
                    }
                }
                if allRight { sequencesCorrect += 1 }
            } else {
                let truth = Int(labels[0][i])
                let ranked = predictions[0][i]
                if ranked[0] == truth { top1Correct += 1 }
                if ranked.contains(truth) { top3Correct += 1 }
                confusion[truth * classes + ranked[0]] += 1
            }
        }
    }

    /// The `count` most frequent (truth, predicted, times) confusions with truth ≠ predicted.
    public func mostConfused(_ count: Int = 5) -> [(truth: Int, predicted: Int, times: Int)] {
        var pairs: [(truth: Int, predicted: Int, times: Int)] = []
        for t in 0..<classes {
            for p in 0..<classes where p != t && confusion[t * classes + p] > 0 {
                pairs.append((t, p, confusion[t * classes + p]))
            }
        }
        pairs.sort { ($0.times, -$0.truth, -$0.predicted) > ($1.times, -$1.truth, -$1.predicted) }
        return Array(pairs.prefix(count))
    }

    /// The indices of the `top` largest logits of each row, best first.
    static func ranked(_ logits: Tensor, top: Int) -> [[Int]] {
        let (n, k) = (logits.shape[0], logits.shape[1])
        var out: [[Int]] = []
        out.reserveCapacity(n)
        logits.scalars.withUnsafeBufferPointer { z in
            for r in 0..<n {
                var best: [Int] = []
                for j in 0..<k {
                    let v = z[r * k + j]
                    var pos = best.count
                    while pos > 0 && z[r * k + best[pos - 1]] < v { pos -= 1 }
                    if pos < top {
                        best.insert(j, at: pos)
                        if best.count > top { best.removeLast() }
                    }
                }
                out.append(best)
            }
        }
        return out
    }
}

extension Metrics {
    /// Softmax probabilities of one row of logits.
    static func softmax(_ row: ArraySlice<Float>) -> [Float] {
        let m = row.max() ?? 0
        let e = row.map { expf($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}
