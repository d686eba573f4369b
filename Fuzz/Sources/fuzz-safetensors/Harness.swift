// The safetensors reader of trainer checkpoints. What decodes must re-encode to bytes that decode
// to the same checkpoint (compared as bytes, so NaN weights compare equal).
import FuzzSupport
import Trainer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = [UInt8](fuzzInput(data, size))
    guard let checkpoint = try? Checkpoint.decode(bytes) else { return 0 }
    let encoded = checkpoint.encoded()
    let again = try? Checkpoint.decode(encoded)
    fuzzCheck(again?.encoded() == encoded, "a decoded checkpoint does not survive encode and decode")
    return 0
}
