// RecordIO throughput benchmarks. Run in release:
//   swift build -c release --product bench-recordio && .build/release/bench-recordio [--n N] [--only NAME] [--crc-passes P]
// Prints `RESULT name=… value=… unit=…` lines. GB = 1e9 bytes.
import Foundation
import RecordIO
import Shards
import ShardKitSupport

// MARK: Arguments

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let recordSize = 3980
let shardCount = 4

// MARK: Helpers

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Wall-clock times (the reported value) and process CPU times (user + system, reported as
/// `cpu_*` fields: steadier on a machine shared with other jobs) of `repeats` runs.
struct Timing {
    var wall: [Double] = []
    var cpu: [Double] = []

    mutating func measure(_ body: () throws -> Void) rethrows {
        let w = now()
        let c = cpuNow()
        try body()
        cpu.append(cpuNow() - c)
        wall.append(now() - w)
    }

    var medianWall: Double { median(wall) }
    var bestWall: Double { wall.min()! }
    var medianCPU: Double { median(cpu) }
}

func fmt(_ value: Double) -> String { String(format: "%.2f", value) }

func randomBytes(_ count: Int, seed: UInt64) -> UnsafeMutableRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    var state = seed
    let words = count / 8
    let p = buffer.baseAddress!.bindMemory(to: UInt64.self, capacity: words)
    for i in 0..<words {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        p[i] = z ^ (z >> 31)
    }
    for i in (words * 8)..<count { buffer[i] = UInt8(truncatingIfNeeded: i) }
    return buffer
}

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
        return kib / 1024
    }
    return -1
}

func shardPaths(_ directory: String) -> [String] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return files.filter { $0.contains(".tfrecord-") && !$0.hasSuffix(".index") }.sorted().map { directory + "/" + $0 }
}

/// Writes `records` records of `recordSize` bytes (slices of `payloads`) into `shardCount` shards.
func writeDataset(directory: String, records: Int, payloads: UnsafeRawBufferPointer, durable: Bool) throws
    -> [ShardManifest]
{
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let writer = try ShardedWriter(
        directory: directory, name: "bench", split: "train", sharding: .shards(shardCount), records: records,
        durable: durable)
    let distinct = payloads.count / recordSize
    for i in 0..<records {
        let start = (i % distinct) * recordSize
        try writer.write(UnsafeRawBufferPointer(rebasing: payloads[start..<(start + recordSize)]))
    }
    return try writer.finish()
}

/// Reads every record of every shard with checksum verification; returns (records, bytes).
func readDataset(_ paths: [String]) throws -> (Int, Int) {
    var records = 0
    var bytes = 0
    for path in paths {
        var reader = try RecordReader(path: path)
        while let payload = try reader.nextRecord() {
            records += 1
            bytes += payload.count + 16
        }
    }
    return (records, bytes)
}

// MARK: Child mode for the memory figure: read a data set, print VmHWM.

if let directory = option("--rss-child") {
    let (records, _) = try readDataset(shardPaths(directory))
    print("\(records) \(peakRSSMiB())")
    exit(0)
}

let only = option("--only")
let n = Int(option("--n") ?? "") ?? 60_000
func enabled(_ name: String) -> Bool { only == nil || only == name }
let scratch = NSTemporaryDirectory() + "/bench-recordio-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: scratch) }

// MARK: CRC32C

/// A kernel name as one RESULT field (no spaces).
func field(_ name: String) -> String { name.replacingOccurrences(of: " ", with: "_") }

if enabled("crc32c_bulk") || enabled("crc32c_records") {
    let mib = 256
    let buffer = randomBytes(mib << 20, seed: 1)
    defer { buffer.deallocate() }
    let bytes = UnsafeRawBufferPointer(buffer)
    let gb = Double(bytes.count) / 1e9
    let passes = Int(option("--crc-passes") ?? "") ?? 7
    // Every tier this process may run, measured in interleaved passes (one pass of each tier in
    // turn), so a slow spell on the shared machine falls on all of them alike.
    let tiers = CPUFeatures.tiersOfThisArchitecture.filter { CPUFeatures.runs($0) }
    func recordsPass(_ checksum: (UnsafeRawBufferPointer) -> UInt32) -> UInt32 {
        var offset = 0
        var combined: UInt32 = 0
        while offset < bytes.count {
            let end = min(offset + recordSize, bytes.count)
            combined ^= checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
        }
        return combined
    }
    if enabled("crc32c_bulk") {
        var timing = Timing()
        var perTier = [Timing](repeating: Timing(), count: tiers.count)
        var crc: UInt32 = 0
        var tierCRCs = [UInt32](repeating: 0, count: tiers.count)
        for _ in 0..<passes {
            timing.measure { crc = CRC32C.checksum(bytes) }
            for (i, tier) in tiers.enumerated() {
                perTier[i].measure { tierCRCs[i] = CRC32C.checksum(tier: tier, bytes) }
            }
        }
        print(
            "RESULT name=shardkit_crc32c_bulk value=\(fmt(gb / timing.medianWall)) unit=GB/s mib=\(mib) passes=\(passes) "
                + "best=\(fmt(gb / timing.bestWall)) cpu_gb_per_s=\(fmt(gb / timing.medianCPU)) "
                + "hardware=\(CRC32C.usesHardware ? 1 : 0) tier=\(CPUFeatures.tier) kernel=\(field(CRC32C.kernelName)) "
                + "crc=\(String(crc, radix: 16))")
        for (i, tier) in tiers.enumerated() {
            precondition(tierCRCs[i] == crc, "\(tier) kernel disagrees with the tier in force")
            print(
                "RESULT name=shardkit_crc32c_bulk_\(tier) value=\(fmt(gb / perTier[i].medianWall)) unit=GB/s mib=\(mib) "
                    + "passes=\(passes) best=\(fmt(gb / perTier[i].bestWall)) "
                    + "cpu_gb_per_s=\(fmt(gb / perTier[i].medianCPU)) kernel=\(field(CRC32C.kernelName(tier: tier))) "
                    + "crc=\(String(tierCRCs[i], radix: 16))")
        }
    }
    if enabled("crc32c_records") {
        var timing = Timing()
        var perTier = [Timing](repeating: Timing(), count: tiers.count)
        var combined: UInt32 = 0
        var tierCombined = [UInt32](repeating: 0, count: tiers.count)
        for _ in 0..<passes {
            timing.measure { combined = recordsPass { CRC32C.checksum($0) } }
            for (i, tier) in tiers.enumerated() {
                perTier[i].measure { tierCombined[i] = recordsPass { CRC32C.checksum(tier: tier, $0) } }
            }
        }
        print(
            "RESULT name=shardkit_crc32c_records value=\(fmt(gb / timing.medianWall)) unit=GB/s chunk=\(recordSize) "
                + "mib=\(mib) passes=\(passes) best=\(fmt(gb / timing.bestWall)) "
                + "cpu_gb_per_s=\(fmt(gb / timing.medianCPU)) crc=\(String(combined, radix: 16))")
        for (i, tier) in tiers.enumerated() {
            precondition(tierCombined[i] == combined, "\(tier) kernel disagrees with the tier in force")
            print(
                "RESULT name=shardkit_crc32c_records_\(tier) value=\(fmt(gb / perTier[i].medianWall)) unit=GB/s "
                    + "chunk=\(recordSize) mib=\(mib) passes=\(passes) best=\(fmt(gb / perTier[i].bestWall)) "
                    + "cpu_gb_per_s=\(fmt(gb / perTier[i].medianCPU)) kernel=\(field(CRC32C.kernelName(tier: tier))) "
                    + "crc=\(String(tierCombined[i], radix: 16))")
        }
    }
}

// MARK: Writing and reading shards

let payloads = randomBytes(n * recordSize, seed: 2)
defer { payloads.deallocate() }

if enabled("shardkit_write_framing") {
    // Payloads are built beforehand; the timing covers framing, CRC, SHA-256, index lines and
    // write(2) into 4 shards (page cache). fsync is timed separately: it measures the disk.
    var timing = Timing()
    for _ in 0..<3 {
        try? FileManager.default.removeItem(atPath: scratch + "/write")
        try timing.measure {
            _ = try writeDataset(
                directory: scratch + "/write", records: n, payloads: UnsafeRawBufferPointer(payloads), durable: false)
        }
    }
    let dt = timing.medianWall
    try? FileManager.default.removeItem(atPath: scratch + "/write")
    let t = now()
    _ = try writeDataset(
        directory: scratch + "/write", records: n, payloads: UnsafeRawBufferPointer(payloads), durable: true)
    let durable = now() - t
    let bytes = Double(n * (recordSize + 16))
    print(
        "RESULT name=shardkit_write_framing value=\(Int(Double(n) / dt)) unit=records/s "
            + "mb_per_s=\(Int(bytes / dt / 1e6)) records=\(n) shards=\(shardCount) record_bytes=\(recordSize) "
            + "best=\(Int(Double(n) / timing.bestWall)) cpu_records_per_s=\(Int(Double(n) / timing.medianCPU)) "
            + "with_fsync_records_per_s=\(Int(Double(n) / durable))")
    try? FileManager.default.removeItem(atPath: scratch + "/write")
}

if enabled("shardkit_read_verify") {
    let directory = scratch + "/read"
    _ = try writeDataset(directory: directory, records: n, payloads: UnsafeRawBufferPointer(payloads), durable: false)
    let paths = shardPaths(directory)
    _ = try readDataset(paths)  // warm the page cache
    var timing = Timing()
    var totals = (0, 0)
    for _ in 0..<5 { try timing.measure { totals = try readDataset(paths) } }
    let dt = timing.medianWall
    precondition(totals.0 == n, "read \(totals.0) records, wrote \(n)")
    print(
        "RESULT name=shardkit_read_verify value=\(String(format: "%.2f", Double(totals.1) / dt / 1e9)) unit=GB/s "
            + "records_per_s=\(Int(Double(n) / dt)) best=\(fmt(Double(totals.1) / timing.bestWall / 1e9)) "
            + "cpu_gb_per_s=\(fmt(Double(totals.1) / timing.medianCPU / 1e9)) records=\(n) shards=\(shardCount) "
            + "record_bytes=\(recordSize) warm=1")
    try? FileManager.default.removeItem(atPath: directory)
}

if enabled("shardkit_read_peak_rss") {
    // Each size is read by a fresh child process (this executable with --rss-child), so the figure
    // is the reader's own peak, not this process's benchmark buffers.
    for records in [n, n * 10] {
        let directory = scratch + "/rss"
        _ = try writeDataset(
            directory: directory, records: records, payloads: UnsafeRawBufferPointer(payloads), durable: false)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["--rss-child", directory]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        let fields = output.split(whereSeparator: \.isWhitespace)
        let read = fields.first.flatMap { Int($0) } ?? -1
        let mib = fields.count > 1 ? (Double(fields[1]) ?? -1) : -1
        precondition(read == records, "child read \(read) of \(records) records")
        print(
            "RESULT name=shardkit_framing_read_peak_rss_n\(records) value=\(String(format: "%.1f", mib)) unit=MiB records=\(records) "
                + "file_mib=\((records * (recordSize + 16)) >> 20) process=child")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
