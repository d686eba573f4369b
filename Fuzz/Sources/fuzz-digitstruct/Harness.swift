// SVHN's digitStruct.mat (MATLAB v7.3, i.e. HDF5) through libhdf5: the fuzzed bytes are written to
// a file, since libhdf5 opens files, and read entry by entry as the SVHN converter does.
import Formats
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDigitStruct(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "digitStruct.mat"))
    guard let reader = try? DigitStructReader(url: url) else { return 0 }
    var index = 0
    while let entry = try? reader.next() {
        fuzzCheck(entry.index == index, "entries out of order")
        fuzzCheck(!entry.boxes.isEmpty, "an entry without boxes was returned")
        index += 1
    }
    fuzzCheck(index <= reader.count, "more entries than the file announced")
    return 0
}
