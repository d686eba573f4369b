import ArgumentParser
import Foundation

/// The exit codes `shardkit` documents (the sysexits.h numbers where one fits).
enum ExitStatus: Int32 {
    /// Verification found corrupt records or a manifest mismatch.
    case verificationFailed = 1
    /// A malformed input file (wrong magic, truncated record, bad checksum while converting).
    case dataError = 65
    /// An input file or directory is missing or unreadable.
    case noInput = 66
    /// Output could not be written.
    case ioError = 74
}

/// An error already reported to the user, carrying the exit status to leave with.
struct ReportedFailure: Error {
    let status: ExitStatus
}

/// Prints `shardkit: error: <message>` as one line on standard error and returns the exit code to
/// throw, so every command reports failures the same way.
func fail(_ message: String, _ status: ExitStatus) -> ExitCode {
    FileHandle.standardError.write(Data("shardkit: error: \(message)\n".utf8))
    return ExitCode(status.rawValue)
}
