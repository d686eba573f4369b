// The JPEG decoder (libjpeg-turbo behind the CShardKitJPEG shim).
import FuzzSupport
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkImageDecoder(fuzzInput(data, size)) { bytes, channels in
        (try? JPEGCodec.decode(bytes, channels: channels)).map { ($0.width, $0.height, $0.channels, $0.pixels.count) }
    }
    return 0
}
