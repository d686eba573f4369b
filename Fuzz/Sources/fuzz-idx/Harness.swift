// The idx reader (MNIST and its kin) over an image file and a label file, each plain or gzip
// (chosen by their first bytes, as for real files). One input holds both files:
//   [label file length: UInt16, little-endian] [label file] [image file: the rest]
// Fuzz/seeds.py packs the fixtures this way.
import Formats
import FormatsFuzzing
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard input.count >= 2 else { return 0 }
    let labelLength = min(Int(input[0]) | Int(input[1]) << 8, input.count - 2)
    let labels = Scratch.write(UnsafeRawBufferPointer(rebasing: input[2..<(2 + labelLength)]), to: "labels-idx1-ubyte")
    let images = Scratch.write(UnsafeRawBufferPointer(rebasing: input[(2 + labelLength)...]), to: "images-idx3-ubyte")
    checkReader(
        { () throws(FormatError) in
            try MNISTReader(images: URL(fileURLWithPath: images), labels: URL(fileURLWithPath: labels))
        },
        index: \.index,
        check: { sample in
            fuzzCheck(sample.image.pixels.count == sample.image.height * sample.image.width, "image size")
        })
    return 0
}
