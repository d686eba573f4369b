import Examples
@testable import Pipeline
import Shards
import Testing

/// The engine alone: records come out in reading order whatever the number of jobs, the window
/// size (which grows once record sizes are known) or which worker claims which chunk, and the
/// first failing record in reading order is the error, after every record before it was written.
@Suite struct OrderedEncoderTests {
    /// Encodes item i as its 8 bytes repeated `1 + i % 7` times, so chunks differ in cost.
    static func engine(jobs: Int, failAt: Int? = nil) -> OrderedEncoder<Int> {
        OrderedEncoder<Int>(
            jobs: jobs,
            makeEncoder: {
                { (item, buffer, _) throws(DatasetError) in
                    if item == failAt { throw DatasetError(.badInput, recordIndex: item, "record \(item) is bad") }
                    for _ in 0...(item % 7) { withUnsafeBytes(of: Int64(item)) { buffer.append(contentsOf: $0) } }
                }
            },
            describe: { _ in (0, 0) })
    }

    static func run(_ engine: OrderedEncoder<Int>, count: Int) -> (written: [Int], progress: Int, error: DatasetError?) {
        var next = 0
        var written: [Int] = []
        var progress = 0
        do throws(DatasetError) {
            try engine.run(
                next: { () throws(DatasetError) -> Int? in
                    guard next < count else { return nil }
                    next += 1
                    return next - 1
                },
                write: { _, bytes in written.append(Int(bytes.loadUnaligned(as: Int64.self))) },
                observe: { _, _ in }, progress: { progress += $0 })
        } catch {
            return (written, progress, error)
        }
        return (written, progress, nil)
    }

    @Test(arguments: [1, 2, 3, 5])
    func recordsComeOutInReadingOrder(jobs: Int) {
        // 50,000 small records: windows grow from 2 × jobs to 4 × jobs chunks along the way.
        let (written, progress, error) = Self.run(Self.engine(jobs: jobs), count: 50_000)
        #expect(error == nil)
        #expect(written == Array(0..<50_000))
        #expect(progress == 50_000)
    }

    @Test(arguments: [1, 2, 3])
    func theFirstFailingRecordIsTheError(jobs: Int) {
        let (written, _, error) = Self.run(Self.engine(jobs: jobs, failAt: 12_345), count: 50_000)
        #expect(error?.recordIndex == 12_345)
        #expect(error?.message == "record 12345 is bad")
        // Whole chunks of 256 before the bad one's chunk are written, nothing from it or after.
        #expect(written == Array(0..<(12_345 / 256 * 256)))
    }
}
