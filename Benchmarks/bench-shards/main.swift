// End-to-end shard benchmarks for the foundation issue, in the shape of ../shared/anchors:
// 60,000 MNIST-digit-string Examples (28×140 raw image, int64 length, five int64 digits) in
// 4 shards, page cache warm.
//   shardkit_write_examples   build + encode + frame + CRC + SHA-256 + index + write (records/s)
//   shardkit_read_verify_gbps read every record with both CRCs checked (GB/s of file)
//   shardkit_read_decode      read + verify + decode image/length/digits into a batch (records/s)
//   shardkit_{write,read}_peak_rss  peak RSS of a child process at 60k and 600k records (MiB)
// Flags: --n N (default 60000), --dir DIR, --buffer-mib N (writer buffer), --durable (fsync shards),
// --child write|read (internal: one measured pass).
import Examples
import Foundation
import RecordIO
import Shards

#if canImport(Glibc)
    import Glibc
#endif

struct Args {
    var n = 60_000
    var shards = 4
    var dir = "/tmp/shardkit-bench/shards"
    var child: String?
    var durable = false
    var bufferSize = 1 << 20

    init() {
        var it = CommandLine.arguments.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--n": n = Int(it.next()!)!
            case "--dir": dir = it.next()!
            case "--child": child = it.next()!
            case "--durable": durable = true
            case "--buffer-mib": bufferSize = Int(it.next()!)! << 20
            default: fatalError("unknown flag \(a)")
            }
        }
    }
}

/// Deterministic record contents: a bank of 1,000 random images (contents do not matter to the
/// codec; memory does) and labels computed from the record index, so the benchmark's own input
/// stays the same size whatever the number of records.
struct Records {
    var images: [UInt8]
    static let imageBytes = 28 * 140
    static let bank = 1000

    init(seed: UInt64 = 1) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        images = [UInt8](repeating: 0, count: Self.bank * Self.imageBytes)
        images.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                words[i] = state
            }
        }
    }

    /// Length 1…5 and five digits (10 = none) for record `i`, from a hash of `i`.
    static func labels(_ i: Int) -> (length: Int64, digits: [Int64]) {
        var h = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        let length = Int64(1 + h % 5)
        let digits = (0..<5).map { k in Int64(k) < length ? Int64((h >> (8 + 4 * UInt64(k))) % 10) : 10 }
        return (length, digits)
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func peakRSSMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kib / 1024
    }
    return 0
}

func shardPaths(_ args: Args) -> [String] {
    (0..<args.shards).map {
        args.dir + "/" + ShardedWriter.shardFileName(name: "bench", split: "train", index: $0, count: args.shards)
    }
}

/// Writes `args.n` Examples; returns seconds.
func writeShards(_ args: Args, _ records: Records) throws -> Double {
    try? FileManager.default.removeItem(atPath: args.dir)
    try FileManager.default.createDirectory(atPath: args.dir, withIntermediateDirectories: true)
    let bank = Records.bank
    let start = now()
    let writer = try ShardedWriter(
        directory: args.dir, name: "bench", split: "train", sharding: .shards(args.shards), records: args.n,
        bufferSize: args.bufferSize, durable: args.durable)
    var buffer: [UInt8] = []
    buffer.reserveCapacity(8192)
    for i in 0..<args.n {
        let offset = (i % bank) * Records.imageBytes
        let (length, digits) = Records.labels(i)
        let example = Example([
            "image": .bytes([Array(records.images[offset..<offset + Records.imageBytes])]),
            "length": .int64([length]),
            "digits": .int64(digits),
        ])
        buffer.removeAll(keepingCapacity: true)
        example.serialize(into: &buffer)
        try writer.write(buffer)
    }
    _ = try writer.finish()
    return now() - start
}

/// Reads every record with checksums verified; returns (seconds, bytes).
func readVerify(_ args: Args) throws -> (Double, Int64) {
    let start = now()
    var bytes: Int64 = 0
    for path in shardPaths(args) {
        var reader = try RecordReader(path: path)
        while let payload = try reader.nextRecord() { bytes += Int64(payload.count + 16) }
    }
    return (now() - start, bytes)
}

/// Reads, verifies and decodes `image`, `length`, `digits` into batch buffers of 256 records,
/// as tf.data's batched parse_example hands them over; returns seconds.
func readDecode(_ args: Args) throws -> Double {
    let batch = 256
    var images = [UInt8](repeating: 0, count: batch * Records.imageBytes)
    var lengths = [Int64](repeating: 0, count: batch)
    var digits = [Int64]()
    digits.reserveCapacity(batch * 5)
    var inBatch = 0
    var count = 0
    let start = now()
    for path in shardPaths(args) {
        var reader = try RecordReader(path: path)
        while let payload = try reader.nextRecord() {
            let view = try ExampleView(unsafeBytes: payload)
            guard let image = view.feature("image")?.firstBytes, image.count == Records.imageBytes,
                let length = view.feature("length"), let digitList = view.feature("digits"), digitList.count == 5
            else { fatalError("record \(count) does not have the expected features") }
            images.withUnsafeMutableBytes { dst in
                dst.baseAddress!.advanced(by: inBatch * Records.imageBytes)
                    .copyMemory(from: image.baseAddress!, byteCount: image.count)
            }
            length.forEachInt64 { lengths[inBatch] = $0 }
            digitList.appendInt64s(to: &digits)
            inBatch += 1
            count += 1
            if inBatch == batch {
                inBatch = 0
                digits.removeAll(keepingCapacity: true)
            }
        }
    }
    precondition(count == args.n, "read \(count) records, expected \(args.n)")
    return now() - start
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

func result(_ name: String, _ value: Double, _ unit: String, _ extra: String = "") {
    print("RESULT name=\(name) value=\(String(format: "%.6g", value)) unit=\(unit)\(extra.isEmpty ? "" : " " + extra)")
}

/// Runs this benchmark again as a child for one measured pass and returns its peak RSS.
func childPeakRSS(_ mode: String, n: Int, dir: String) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    process.arguments = ["--child", mode, "--n", String(n), "--dir", dir]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
}

let args = Args()
if let mode = args.child {
    // Memory is measured on a pass whose record contents come from a small bank, so the
    // input itself stays small and flat; what grows with n is only what the writer/reader hold.
    if mode == "write" { _ = try writeShards(args, Records()) } else { _ = try readDecode(args) }
    print(peakRSSMiB())
    exit(0)
}

let records = Records()
var writeTimes: [Double] = []
for _ in 0..<5 { writeTimes.append(try writeShards(args, records)) }
let written = shardPaths(args).reduce(Int64(0)) { total, path in
    total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
}
let w = median(writeTimes)
result("shardkit_write_examples", Double(args.n) / w, "records/s",
       "mb_per_s=\(String(format: "%.1f", Double(written) / w / 1e6)) n=\(args.n) shards=\(args.shards) durable=\(args.durable ? 1 : 0)")

_ = try readVerify(args)  // warm the page cache
var verifyTimes: [Double] = []
var verifiedBytes: Int64 = 0
for _ in 0..<5 {
    let (t, b) = try readVerify(args)
    verifyTimes.append(t)
    verifiedBytes = b
}
result("shardkit_read_verify_gbps", Double(verifiedBytes) / median(verifyTimes) / 1e9, "GB/s", "n=\(args.n)")

var decodeTimes: [Double] = []
for _ in 0..<5 { decodeTimes.append(try readDecode(args)) }
result("shardkit_read_decode", Double(args.n) / median(decodeTimes), "records/s",
       "mb_per_s=\(String(format: "%.1f", Double(written) / median(decodeTimes) / 1e6)) n=\(args.n) batch=256")

for n in [60_000, 600_000] {
    let dir = args.dir + "-mem"
    let writeRSS = try childPeakRSS("write", n: n, dir: dir)
    let readRSS = try childPeakRSS("read", n: n, dir: dir)
    result("shardkit_write_peak_rss_n\(n)", writeRSS, "MiB", "n=\(n)")
    result("shardkit_read_peak_rss_n\(n)", readRSS, "MiB", "n=\(n)")
    try? FileManager.default.removeItem(atPath: dir)
}
