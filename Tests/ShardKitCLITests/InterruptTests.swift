import Foundation
import TestSupport
import Testing

/// Real signals: SIGINT (Ctrl-C) and SIGTERM stop a writing run within a second, remove its
/// staging folder (and the output folder it made), say what they removed, and exit 130 or 143.
@Suite struct InterruptTests {
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalRemovesWhatTheRunWrote(signal: Int32, status: Int32) throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("strings")
        let process = Process()
        process.executableURL = ShardKitProcess.binary
        process.arguments = [
            "synth", "--digits", FixturePaths.fixture("digits").path, "--output", output.path,
            "--count", "5000000", "--test-count", "0", "--quiet",
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the run is writing into its staging folder.
        let deadline = Date().addingTimeInterval(30)
        var staging: String?
        while staging == nil && Date() < deadline && process.isRunning {
            staging = (try? FileManager.default.contentsOfDirectory(atPath: output.path))?
                .first { $0.hasPrefix(".shardkit-staging-") }
            if staging == nil { usleep(50_000) }
        }
        let stagingName = try #require(staging, "the run never started writing")
        usleep(300_000)  // some shards under way
        let signalled = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(signalled)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == status, "\(text)")
        #expect(seconds < 1.0, "took \(seconds) s to stop")
        #expect(text.contains("removed \(output.path)/\(stagingName)"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "the output folder is left behind")
    }

    /// `kill -9` at a few moments of a synth run: what is left never looks complete (`verify`
    /// fails and names the staging folder), and a rerun into the same output removes the leftover,
    /// says so, and writes shards byte-identical to a run that was never stopped.
    @Test func killNineLeavesNothingCompleteAndARerunRecovers() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let digits = FixturePaths.fixture("digits").path
        func arguments(_ output: URL) -> [String] {
            // A debug build writes a few hundred strings a second per core: the last kill (1 s)
            // still lands mid-run, and the reference plus up to three reruns stay short.
            ["synth", "--digits", digits, "--output", output.path, "--count", "6000", "--test-count", "600", "--quiet"]
        }
        let reference = directory.appendingPathComponent("reference")
        #expect(try ShardKitProcess.run(arguments(reference)).status == 0)
        let expected = try ShardBytesTests.shardHashes(in: reference)
        var killed = 0
        for (attempt, delay) in [100_000, 500_000, 1_000_000].enumerated() {
            let output = directory.appendingPathComponent("killed-\(attempt)")
            let process = Process()
            process.executableURL = ShardKitProcess.binary
            process.arguments = arguments(output)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .exit { continue }  // finished before the kill: nothing to check
            killed += 1
            if FileManager.default.fileExists(atPath: output.path) {
                let verify = try ShardKitProcess.run(["verify", output.path])
                #expect(verify.status != 0, "a killed run looks complete: \(verify.standardOutput)")
                #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
            }
            let rerun = try ShardKitProcess.run(arguments(output))
            #expect(rerun.status == 0, "\(rerun.standardError)")
            #expect(try ShardBytesTests.shardHashes(in: output) == expected)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: output.path)
                .filter { $0.hasPrefix(".shardkit-staging-") }
            #expect(leftovers.isEmpty)
        }
        #expect(killed >= 2, "runs finished before their kills (\(killed) of 3 killed); make the runs longer")
    }

    /// One writer at a time: a second run into an output that a run is writing fails at once
    /// with exit 75, and changes nothing; the first run is not disturbed.
    @Test func aSecondWriterIntoTheSameOutputFailsWith75() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("strings")
        let digits = FixturePaths.fixture("digits").path
        let first = Process()
        first.executableURL = ShardKitProcess.binary
        // Long enough that the first run is still writing when the second one starts (20,000
        // strings take 20-50 s in a debug build on 2 cores), and no longer: the suite waits for it.
        first.arguments = [
            "synth", "--digits", digits, "--output", output.path, "--count", "20000", "--test-count", "0", "--quiet",
        ]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let deadline = Date().addingTimeInterval(30)
        while first.isRunning && Date() < deadline
            && !((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).contains(where: {
                $0.hasPrefix(".shardkit-staging-")
            })
        {
            usleep(20_000)
        }
        let started = Date()
        let second = try ShardKitProcess.run(["synth", "--digits", digits, "--output", output.path, "--count", "10"])
        #expect(Date().timeIntervalSince(started) < 5)
        first.waitUntilExit()
        #expect(second.status == 75, "\(second.standardError)")
        #expect(second.standardError.contains("another shardkit run is writing into this output"))
        #expect(first.terminationStatus == 0)
        let verify = try ShardKitProcess.run(["verify", output.path, "--quiet"])
        #expect(verify.status == 0, "\(verify.standardOutput)")
    }
}
