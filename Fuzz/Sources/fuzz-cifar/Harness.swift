// The CIFAR-10 and CIFAR-100 readers over one file of fuzzed bytes (plain or gzip by its first bytes).
import Formats
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "batch.bin"))
    for variant in CIFARVariant.allCases {
        guard let reader = try? CIFARReader(file: url, variant: variant) else { continue }
        var index = 0
        while let sample = try? reader.next() {
            fuzzCheck(sample.index == index, "samples out of order")
            fuzzCheck(sample.label < variant.classCount, "label out of range")
            index += 1
        }
        if let count = reader.count { fuzzCheck(index <= count, "more records than the file size holds") }
    }
    return 0
}
