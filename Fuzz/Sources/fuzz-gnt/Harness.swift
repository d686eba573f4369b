// The CASIA HWDB .gnt reader over one file of fuzzed bytes (plain or gzip by its first bytes).
import Formats
import FormatsFuzzing
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGNT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "input.gnt"))
    checkReader(
        { () throws(FormatError) in try GNTReader(file: url) }, index: \.index,
        check: { sample in
            fuzzCheck(sample.image.pixels.count == sample.image.width * sample.image.height, "image size")
        })
    return 0
}
