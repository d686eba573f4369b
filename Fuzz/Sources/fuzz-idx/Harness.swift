// The idx reader (MNIST and its kin) over an image file and a label file, each plain or gzip
// (chosen by their first bytes, as for real files). One input holds both files:
//   [label file length: UInt16, little-endian] [label file] [image file: the rest]
// Fuzz/make-corpus.sh packs the fixtures this way.
import Formats
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard input.count >= 2 else { return 0 }
    let labelLength = min(Int(input[0]) | Int(input[1]) << 8, input.count - 2)
    let labels = Scratch.write(UnsafeRawBufferPointer(rebasing: input[2..<(2 + labelLength)]), to: "labels-idx1-ubyte")
    let images = Scratch.write(UnsafeRawBufferPointer(rebasing: input[(2 + labelLength)...]), to: "images-idx3-ubyte")
    guard
        let reader = try? MNISTReader(
            images: URL(fileURLWithPath: images), labels: URL(fileURLWithPath: labels))
    else { return 0 }
    var index = 0
    while let sample = try? reader.next() {
        fuzzCheck(sample.index == index, "samples out of order")
        fuzzCheck(sample.image.pixels.count == reader.rows * reader.columns, "image size differs from the header")
        index += 1
    }
    fuzzCheck(index <= reader.count, "more samples than the header announced")
    return 0
}
