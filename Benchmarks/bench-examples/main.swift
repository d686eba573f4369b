// Throughput of the Examples codec on records of the multi-digit MNIST shape:
// image = 28×140 = 3920 random bytes, length = 1...5, digits = five int64 (10 = padding).
// Prints `RESULT name=… value=… unit=records/s` lines; each figure is the median of 5 passes.
// Usage: bench-examples [--n RECORDS]   (default 60000)
import Examples

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
let n: Int = {
    if let i = arguments.firstIndex(of: "--n"), i + 1 < arguments.count, let value = Int(arguments[i + 1]) {
        return value
    }
    return 60_000
}()

/// A small deterministic generator (SplitMix64).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// Raw inputs: a pool of 16 images (building them is not what is measured) and per-record labels.
var rng = SplitMix64(state: 42)
let images: [[UInt8]] = (0..<16).map { _ in (0..<3920).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
let lengths: [Int64] = (0..<n).map { _ in Int64(1 + rng.next() % 5) }
let digitRows: [[Int64]] = lengths.map { length in
    (0..<5).map { i in i < Int(length) ? Int64(rng.next() % 10) : 10 }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func report(_ name: String, _ passes: [Double], records n: Int) {
    let rate = Double(n) / median(passes)
    print("RESULT name=\(name) value=\(Int(rate.rounded())) unit=records/s")
}

// Encode: build the Example from raw arrays and serialize into a reused buffer.
var buffer: [UInt8] = []
buffer.reserveCapacity(8192)
var checksum = 0
var encodeTimes: [Double] = []
for _ in 0..<5 {
    let start = now()
    for i in 0..<n {
        let example = Example([
            "image": .bytes([images[i & 15]]),
            "length": .int64([lengths[i]]),
            "digits": .int64(digitRows[i]),
        ])
        buffer.removeAll(keepingCapacity: true)
        example.serialize(into: &buffer)
        checksum &+= buffer.count
    }
    encodeTimes.append(now() - start)
}
report("examples_encode", encodeTimes, records: n)

// Serialize only: the same records, built beforehand (isolates the codec from building the dictionaries).
let prebuilt: [Example] = (0..<min(n, 4096)).map { i in
    Example([
        "image": .bytes([images[i & 15]]),
        "length": .int64([lengths[i]]),
        "digits": .int64(digitRows[i]),
    ])
}
var serializeTimes: [Double] = []
for _ in 0..<5 {
    let start = now()
    for i in 0..<n {
        buffer.removeAll(keepingCapacity: true)
        prebuilt[i % prebuilt.count].serialize(into: &buffer)
        checksum &+= buffer.count
    }
    serializeTimes.append(now() - start)
}
report("examples_serialize_only", serializeTimes, records: n)

// Pre-serialized records, back to back in one arena (as a record reader would hand them over).
var arena: [UInt8] = []
var ranges: [Range<Int>] = []
for i in 0..<n {
    let start = arena.count
    Example([
        "image": .bytes([images[i & 15]]),
        "length": .int64([lengths[i]]),
        "digits": .int64(digitRows[i]),
    ]).serialize(into: &arena)
    ranges.append(start..<arena.count)
}

// Decode to owned values: image bytes, length, digits.
var decodeTimes: [Double] = []
arena.withUnsafeBytes { all in
    for _ in 0..<5 {
        let start = now()
        for range in ranges {
            do {
                let example = try Example(serializedBytes: UnsafeRawBufferPointer(rebasing: all[range]))
                let image = example.bytes("image")![0]
                let length = example.int64s("length")![0]
                let digits = example.int64s("digits")!
                checksum &+= image.count &+ Int(length) &+ Int(digits[4])
            } catch {
                fatalError("\(error)")
            }
        }
        decodeTimes.append(now() - start)
    }
}
report("examples_decode", decodeTimes, records: n)

// Zero-copy view: image bytes in place, length and digits into a reused array.
var viewTimes: [Double] = []
var digits: [Int64] = []
digits.reserveCapacity(8)
arena.withUnsafeBytes { all in
    for _ in 0..<5 {
        let start = now()
        for range in ranges {
            do {
                let view = try ExampleView(unsafeBytes: UnsafeRawBufferPointer(rebasing: all[range]))
                let image = view.feature("image")!.firstBytes!
                var length: Int64 = 0
                view.feature("length")!.forEachInt64 { length = $0 }
                digits.removeAll(keepingCapacity: true)
                view.feature("digits")!.appendInt64s(to: &digits)
                checksum &+= image.count &+ Int(length) &+ Int(digits[4])
            } catch {
                fatalError("\(error)")
            }
        }
        viewTimes.append(now() - start)
    }
}
report("examples_decode_view", viewTimes, records: n)
if checksum == 42 { print("checksum \(checksum)") }  // keeps the work observable
