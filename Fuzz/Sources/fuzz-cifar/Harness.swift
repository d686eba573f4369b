// The CIFAR-10 and CIFAR-100 readers over one file of fuzzed bytes (plain or gzip by its first bytes).
import Formats
import FormatsFuzzing
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "batch.bin"))
    for variant in CIFARVariant.allCases {
        checkReader(
            { () throws(FormatError) in try CIFARReader(file: url, variant: variant) }, index: \.index,
            check: { sample in fuzzCheck(sample.label < variant.classCount, "label out of range") })
    }
    return 0
}
