public import Formats
import FuzzSupport

/// Reads every sample `open()`'s reader yields, up to its first error, and checks the promises of
/// `FormatReader`: samples come in order and, on a second reader, `skip(k)` over the first half of
/// them (records the first reader accepted) succeeds and lands exactly on sample k.
public func checkReader<Reader: FormatReader>(
    _ open: () throws(FormatError) -> Reader, index: (Reader.Sample) -> Int, check: (Reader.Sample) -> Void = { _ in }
) where Reader.Sample: Equatable {
    guard let reader = try? open() else { return }
    var samples: [Reader.Sample] = []
    while let sample = try? reader.next() {
        fuzzCheck(index(sample) == samples.count, "samples out of order")
        check(sample)
        samples.append(sample)
    }
    guard !samples.isEmpty, let second = try? open() else { return }
    let k = samples.count / 2
    let skipped = Result { () throws(FormatError) in try second.skip(k) }
    fuzzCheck((try? skipped.get()) == k, "skip(\(k)) over accepted records gave \(skipped)")
    fuzzCheck((try? second.next()) == samples[k], "the sample after skip(\(k)) differs from sample \(k)")
}
