// The JPEG decoder (libjpeg-turbo behind the CJPEG shim). The input's length picks the channels
// asked for (the file's own, gray or RGB).
import FuzzSupport
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let channels = [nil, 1, 3][size % 3]
    guard let image = try? JPEGCodec.decode(fuzzInput(data, size), channels: channels) else { return 0 }
    fuzzCheck(image.pixels.count == image.width * image.height * image.channels, "pixel count")
    fuzzCheck(channels == nil || image.channels == channels, "channels asked for were not delivered")
    return 0
}
