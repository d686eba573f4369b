import Foundation
import TestSupport
import Testing

/// A real full disk and a real read-only file system: small tmpfs mounts (needs root, as CI runs;
/// skipped with the reason elsewhere). A write that fails exits 74 with one line naming the file,
/// and leaves nothing behind: no shard, no staging folder, no manifest.
@Suite(.serialized) struct FullDiskTests {
    /// A tmpfs of `size` mounted on a new scratch folder, unmounted when dropped.
    final class Mount {
        let url: URL
        init(size: String) throws {
            url = try FixturePaths.makeScratchDirectory("tmpfs")
            let status = Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", url.path])
            guard status == 0 else { throw CocoaError(.fileWriteNoPermission) }
        }
        deinit {
            _ = Self.command("/bin/umount", [url.path])
            try? FileManager.default.removeItem(at: url)
        }
        func remountReadOnly() -> Bool { Self.command("/bin/mount", ["-o", "remount,ro", url.path]) == 0 }

        static func command(_ path: String, _ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static let canMount: Bool = (try? Mount(size: "64k")) != nil

    static func convert(into output: URL) throws -> ShardKitProcess.Result {
        try ShardKitProcess.run([
            "convert", "mnist", "--input", FixturePaths.fixture("digits").path, "--output", output.path, "--quiet",
        ])
    }

    /// Every name below `url`, hidden ones included.
    static func everything(in url: URL) -> [String] {
        (FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String]) ?? []
    }

    @Test(.enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func aDiskThatFillsWhileShardsAreWrittenGives74AndLeavesNothing() throws {
        let disk = try Mount(size: "1m")  // the digit set's shards need about 1.3 MB
        let result = try Self.convert(into: disk.url.appendingPathComponent("out"))
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("shardkit: error: \(disk.url.path)/out/"))
        #expect(result.standardError.contains("No space left on device"))
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(Self.everything(in: disk.url).isEmpty, "left behind: \(Self.everything(in: disk.url))")
    }

    /// The shards fit but a side file or the manifest does not: the run still fails whole, and
    /// the shards it had moved into place go again.
    @Test(.enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func aDiskThatFillsAfterTheShardsGives74AndLeavesNothing() throws {
        // How much the shards and index files take, in 4 KiB pages, from a run on an ordinary disk.
        let scratch = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(try Self.convert(into: scratch.appendingPathComponent("out")).status == 0)
        let out = scratch.appendingPathComponent("out")
        let pages = try Self.everything(in: out).filter { $0.contains(".tfrecord-") }  // index/ included
            .map { name in
                let size = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(name).path)[.size]
                return ((size as? Int ?? 0) + 4095) / 4096
            }.reduce(0, +)
        var failedAfterShards = 0
        for extra in 0..<4 {
            let sized = try Mount(size: "\((pages + extra) * 4)k")
            let result = try Self.convert(into: sized.url.appendingPathComponent("out"))
            if result.status == 0 { continue }  // it all fitted
            #expect(result.status == 74, "\(result.standardError)")
            #expect(result.standardError.split(separator: "\n").count == 1)
            #expect(Self.everything(in: sized.url).isEmpty, "left behind: \(Self.everything(in: sized.url))")
            if result.standardError.contains(".json") { failedAfterShards += 1 }
        }
        #expect(failedAfterShards >= 1, "no run failed at the side files or the manifest")
    }

    @Test(.enabled(if: canMount, "cannot mount a tmpfs here (needs root)"))
    func aReadOnlyOutputGives74() throws {
        let disk = try Mount(size: "1m")
        try #require(disk.remountReadOnly())
        let result = try Self.convert(into: disk.url.appendingPathComponent("out"))
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.contains("\(disk.url.path)/out"))
        #expect(result.standardError.split(separator: "\n").count == 1)
    }
}
