// bench-imaging: augmentation chain and PNG codec throughput on 64×64 RGB images like
// common.svhn_like (smooth gradients + Gaussian noise), and PNG encoding of 28×28 gray digits
// (the 500 of Fixtures/digits/t10k-images-idx3-ubyte, as `convert mnist` writes them; compare
// with pil_png.py --digits). Release build only:
//   swift build -c release --product bench-imaging && .build/release/bench-imaging [--n 20000]
//     [--repeats 3] [--png-file /tmp/pil_png.bin] [--png-only]
// With --png-file (written by pil_png.py) the PNG figures use Pillow's bytes and images.
import Dispatch
import Foundation
import Imaging
import ShardKitSupport

struct Options {
    var n = 20_000
    var repeats = 3
    var pngFile: String?
    var augment = true

    static func parse() -> Options {
        var options = Options()
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--n": options.n = Int(arguments.next() ?? "") ?? options.n
            case "--repeats": options.repeats = Int(arguments.next() ?? "") ?? options.repeats
            case "--png-file": options.pngFile = arguments.next()
            case "--png-only": options.augment = false
            default:
                FileHandle.standardError.write(
                    "usage: bench-imaging [--n N] [--repeats R] [--png-file PATH] [--png-only]\n".data(using: .utf8)!)
                exit(64)
            }
        }
        return options
    }
}
let options = Options.parse()
let n = options.n
let repeats = options.repeats
let pngFile = options.pngFile

/// Images like `common.svhn_like`: base colour + gradient in x and y + ≈N(0, 12) noise, clipped.
func svhnLike(count: Int, size: Int = 64, seed: UInt64 = 0) -> [Image] {
    (0..<count).map { i in
        var rng = RecordKey(UInt64(i)).generator(seed: seed)
        func unit() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
        let base = (0..<3).map { _ in unit() * 160 }
        let gx = (0..<3).map { _ in unit() * 80 }
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                for c in 0..<3 {
                    // ≈ N(0, 1): a sum of four 16-bit uniforms (Irwin–Hall), one draw per sample.
                    let r = rng.next()
                    let sum =
                        Double(r & 0xFFFF) + Double((r >> 16) & 0xFFFF) + Double((r >> 32) & 0xFFFF)
                        + Double(r >> 48)
                    let g = (sum / 65536 - 2) * 3.0.squareRoot()
                    let v = base[c] + gx[c] * Double(x + y) / Double(size) + 12 * g
                    pixels[(y * size + x) * 3 + c] = UInt8(min(max(v, 0), 255))
                }
            }
        }
        return Image(height: size, width: size, channels: 3, pixels: pixels)
    }
}

/// CPU time of this thread, or of the whole process with `process: true`.
func cpuSeconds(process: Bool = false) -> Double {
    var t = timespec()
    clock_gettime(process ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s[s.count / 2]
}
func timed(_ body: () -> Void) -> Double {
    let repeats = options.repeats
    return median(
        (0..<repeats).map { _ in
            let t0 = now()
            body()
            return now() - t0
        })
}
func result(_ name: String, _ value: Double, _ unit: String, _ extra: String = "") {
    print(
        "RESULT name=\(name) value=\(String(format: "%.6g", value)) unit=\(unit)" + (extra.isEmpty ? "" : " " + extra))
}

let spec = try! AugmentSpec(parsing: "crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2")
let images = svhnLike(count: n)

// Augmentation, one core (skipped with --png-only).
var checksum = 0
if options.augment {
    let augmenter = Augmenter(spec: spec)
    let cpuBefore = cpuSeconds()
    let oneCore = timed {
        checksum = 0
        for i in 0..<n {
            var rng = RecordKey(UInt64(i)).generator(seed: 0)
            let out = augmenter.apply(to: images[i], rng: &rng)
            checksum &+= Int(out.pixels[i % out.pixels.count])
        }
    }
    // CPU time per image: the figure that does not depend on other jobs sharing the machine.
    let cpuPerImage = (cpuSeconds() - cpuBefore) / Double(n * repeats) * 1e6
    result(
        "shardkit_augment_1core", Double(n) / oneCore, "images/s",
        "n=\(n) cpu_us_per_image=\(String(format: "%.2f", cpuPerImage)) spec=\(spec) checksum=\(checksum)")

    // Two threads, each over half the images; each image's draws come from (seed, index).
    /// One slot per thread, each written by its own thread only.
    final class Sums: @unchecked Sendable {
        let values = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
    }
    let sums = Sums()
    let cpuBeforeTwo = cpuSeconds(process: true)
    let twoCore = timed {
        let images = images
        let n = n
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let local = Augmenter(spec: spec)
            var sum = 0
            for i in stride(from: part * n / 2, to: (part + 1) * n / 2, by: 1) {
                var rng = RecordKey(UInt64(i)).generator(seed: 0)
                let out = local.apply(to: images[i], rng: &rng)
                sum &+= Int(out.pixels[i % out.pixels.count])
            }
            sums.values[part] = sum
        }
    }
    let cpuPerImageTwo = (cpuSeconds(process: true) - cpuBeforeTwo) / Double(n * repeats) * 1e6
    result(
        "shardkit_augment_2core", Double(n) / twoCore, "images/s",
        "threads=2 n=\(n) cpu_us_per_image=\(String(format: "%.2f", cpuPerImageTwo))"
            + " same_as_1core=\(sums.values[0] &+ sums.values[1] == checksum)")
}

// PNG: either Pillow's bytes and images (--png-file) or our own images.
var pngImages: [Image]
var pngs: [[UInt8]]
var source = "swift-svhn-like"
if let pngFile {
    let data = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: pngFile)))
    pngs = []
    var offset = 0
    while offset + 4 <= data.count {
        let length =
            Int(data[offset]) | Int(data[offset + 1]) << 8 | Int(data[offset + 2]) << 16 | Int(data[offset + 3]) << 24
        pngs.append(Array(data[(offset + 4)..<(offset + 4 + length)]))
        offset += 4 + length
    }
    pngImages = pngs.map { try! PNGCodec.decode($0) }
    source = "pillow-bytes"
} else {
    pngImages = images
    pngs = images.map { try! PNGCodec.encode($0) }
}
let count = pngs.count
var cpu0 = cpuSeconds()
let decodeTime = timed {
    for bytes in pngs { _ = try! PNGCodec.decode(bytes) }
}
var cpuPer = (cpuSeconds() - cpu0) / Double(count * repeats) * 1e6
result(
    "shardkit_png_decode", Double(count) / decodeTime, "images/s",
    "n=\(count) cpu_us_per_image=\(String(format: "%.2f", cpuPer)) source=\(source)")
for name in ["shardkit_png_encode"] {
    var bytes = 0
    cpu0 = cpuSeconds()
    let encodeTime = timed {
        bytes = 0
        for image in pngImages { bytes += try! PNGCodec.encode(image).count }
    }
    cpuPer = (cpuSeconds() - cpu0) / Double(count * repeats) * 1e6
    result(
        name, Double(count) / encodeTime, "images/s",
        "n=\(count) cpu_us_per_image=\(String(format: "%.2f", cpuPer)) source=\(source)"
            + " bytes=\(String(format: "%.1f", Double(bytes) / Double(count)))")
}

// PNG encode of 28×28 gray digits, the images `convert mnist` writes: the fixture digit set's
// test images (a plain idx3 file: 16-byte header, then 28×28 bytes per digit), cycled to n.
let digitsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Fixtures/digits/t10k-images-idx3-ubyte").standardized.path
let digitBytes = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: digitsPath)))
let digitCount = (digitBytes.count - 16) / 784
let digits = (0..<digitCount).map { i in
    Image(height: 28, width: 28, channels: 1, pixels: Array(digitBytes[(16 + i * 784)..<(16 + (i + 1) * 784)]))
}
for name in ["shardkit_png_encode_digit"] {
    var bytes = 0
    cpu0 = cpuSeconds()
    let encodeTime = timed {
        bytes = 0
        for i in 0..<n { bytes += try! PNGCodec.encode(digits[i % digitCount]).count }
    }
    let seconds = cpuSeconds() - cpu0
    cpuPer = seconds / Double(n * repeats) * 1e6
    // MB/s of raw pixels (784 bytes a digit) per core of CPU time.
    let megabytesPerSecond = Double(n * repeats * 784) / seconds / 1e6
    result(
        name, Double(n) / encodeTime, "images/s",
        "n=\(n) cpu_us_per_image=\(String(format: "%.2f", cpuPer))"
            + " cpu_mb_per_s=\(String(format: "%.1f", megabytesPerSecond)) source=fixture-digits"
            + " bytes=\(String(format: "%.1f", Double(bytes) / Double(n)))")
}
