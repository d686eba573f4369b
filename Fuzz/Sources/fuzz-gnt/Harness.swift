// The CASIA HWDB .gnt reader over one file of fuzzed bytes (plain or gzip by its first bytes).
import Formats
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGNT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "input.gnt"))
    guard let reader = try? GNTReader(file: url) else { return 0 }
    var index = 0
    while let sample = try? reader.next() {
        fuzzCheck(sample.index == index, "samples out of order")
        fuzzCheck(sample.image.pixels.count == sample.image.width * sample.image.height, "image size")
        index += 1
    }
    return 0
}
