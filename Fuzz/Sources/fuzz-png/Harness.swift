// The PNG decoder (libpng's simplified API behind PNGCodec).
import FuzzSupport
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkImageDecoder(fuzzInput(data, size)) { bytes, channels in
        (try? PNGCodec.decode(bytes, channels: channels)).map { ($0.width, $0.height, $0.channels, $0.pixels.count) }
    }
    return 0
}
