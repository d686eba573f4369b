// The MAT v5 reader of `convert svhn-cropped` (SVHNCroppedReader: MATFile, MATArrayHeader,
// MATElementStream) over one file of fuzzed bytes: plain and zlib-compressed variables, either
// byte order, as the header and tags say.
import Formats
import FormatsFuzzing
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSVHNCropped(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "train_32x32.mat"))
    checkReader(
        { () throws(FormatError) in
            let reader = try SVHNCroppedReader(file: url)
            fuzzCheck(reader.storedLabels.count == reader.count, "one stored label per image")
            fuzzCheck(reader.count <= SVHNCroppedReader.maxCount, "image count above the reader's limit")
            return reader
        },
        index: \.index,
        check: { sample in
            let image = sample.image
            fuzzCheck(
                image.width == 32 && image.height == 32 && image.channels == 3 && image.pixels.count == 3072,
                "image shape")
            fuzzCheck((0...9).contains(sample.label), "label \(sample.label) is not a digit")
        })
    return 0
}
