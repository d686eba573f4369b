// The manifest reader (`manifest.json`, read by verify, train and merge) and its checksum check.
// A manifest that reads re-encodes, sealed with a new checksum, to bytes that check clean.
import FuzzSupport
import Shards

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    let path = Scratch.write(input, to: "manifest.json")
    let verdict = Manifest.checksumMismatch(in: [UInt8](input))
    guard let manifest = try? Manifest.read(from: path) else {
        fuzzCheck(verdict != nil, "checksumMismatch accepted what read rejects")
        return 0
    }
    if let sealed = try? manifest.encoded() {
        fuzzCheck(Manifest.checksumMismatch(in: sealed) == nil, "a freshly sealed manifest fails its own check")
        if verdict == nil { fuzzCheck(sealed == [UInt8](input), "a clean manifest is not what it encodes to") }
    }
    return 0
}
