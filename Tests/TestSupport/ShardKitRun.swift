public import Foundation

/// A `shardkit` run in the background, for tests that signal it part-way (interrupts, crashes).
public final class ShardKitRun {
    public let process = Process()
    private let errors = Pipe()

    /// What a signalled run did.
    public struct Ending: Sendable {
        /// True when the process exited (rather than died of the signal).
        public var exited: Bool
        public var status: Int32
        /// From the signal to the end of the process.
        public var seconds: Double
        public var standardError: String
    }

    /// Starts `shardkit arguments…`, its standard output discarded.
    public init(_ arguments: [String]) throws {
        process.executableURL = ShardKitProcess.binary
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Polls `condition` until it holds (true), or the run ends or `timeout` passes (false).
    public func wait(timeout: TimeInterval = 60, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// Sends `signal` and waits for the run to end.
    public func stop(with signal: Int32) -> Ending {
        let signalled = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return Ending(
            exited: process.terminationReason == .exit, status: process.terminationStatus,
            seconds: Date().timeIntervalSince(signalled),
            standardError: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}
