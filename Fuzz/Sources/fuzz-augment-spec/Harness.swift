// The augmentation spec parser (`--augment` and the spec recorded in manifests). A spec that
// parses prints as text that parses back to the same spec.
import FuzzSupport
import Imaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAugmentSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    guard let spec = try? AugmentSpec(parsing: text) else { return 0 }
    let printed = spec.description
    fuzzCheck((try? AugmentSpec(parsing: printed)) == spec, "spec \(printed) does not parse back to itself")
    return 0
}
