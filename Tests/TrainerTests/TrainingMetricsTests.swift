import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("Training metrics")
struct TrainingMetricsTests {
    @Test func topOneTopThreeAndConfusions() {
        var m = Metrics(isDigitString: false, classes: 4)
        let logits = Tensor(
            shape: [3, 4],
            scalars: [
                0.1, 0.9, 0.5, 0.2,  // predicts 1, then 2, 3
                3, 2, 1, 0,  // predicts 0, 1, 2
                0, 0.2, 0.1, 5,  // predicts 3, 1, 2
            ])
        m.add(logits: [logits], labels: [[1, 2, 0]])
        #expect(m.examples == 3)
        #expect(m.top1Correct == 1)
        #expect(m.top3Correct == 2)
        #expect(m.mostConfused().map { [$0.truth, $0.predicted, $0.times] } == [[0, 3, 1], [2, 0, 1]])
    }

    @Test func digitStringAccuracyCountsOnlyTheTrueDigits() {
        var m = Metrics(isDigitString: true, classes: 7)
        func onehot(_ k: Int, _ classes: [Int]) -> Tensor {
            var t = Tensor(shape: [classes.count, k])
            for (i, c) in classes.enumerated() { t.scalars[i * k + c] = 1 }
            return t
        }
        // Two strings: "12" (right) and "345" predicted "355".
        let logits = [
            onehot(7, [2, 3]), onehot(11, [1, 3]), onehot(11, [2, 5]), onehot(11, [10, 5]), onehot(11, [10, 10]),
            onehot(11, [10, 10]),
        ]
        let labels: [[Int32]] = [[2, 3], [1, 3], [2, 4], [10, 5], [10, 10], [10, 10]]
        m.add(logits: logits, labels: labels)
        #expect(m.accuracy == 0.5)
        #expect(m.digitAccuracy == 4.0 / 5.0)
        #expect(m.lengthAccuracy == 1)
        #expect(m.mostConfused(1).first.map { [$0.truth, $0.predicted] } == [4, 5])
    }
}
