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
}
