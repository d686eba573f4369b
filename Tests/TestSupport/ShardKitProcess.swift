public import Foundation

/// Runs the built `shardkit` binary, for end-to-end tests through the command line.
public enum ShardKitProcess {
    /// The result of one run.
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// `$SHARDKIT_BIN`, else `shardkit` beside the test bundle (SwiftPM's products directory).
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["SHARDKIT_BIN"] { return URL(fileURLWithPath: path) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // Linux: .build/debug/ShardKitPackageTests.xctest; the binary sits beside it.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shardkit")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL.appendingPathComponent("shardkit")
    }

    /// Runs `shardkit arguments…` to completion and returns its exit status and output;
    /// `environment` adds to (or, with nil values, removes from) this process's environment.
    public static func run(_ arguments: [String], environment: [String: String?] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        // A test run inside a Slurm array task or an Indexed Job must not turn every convert
        // into one worker of several: those slots are given by the test when it wants them.
        var merged = ProcessInfo.processInfo.environment
        for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] { merged[name] = nil }
        for (name, value) in environment { merged[name] = value }
        process.environment = merged
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }
}
