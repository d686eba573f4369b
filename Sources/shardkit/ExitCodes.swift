import ArgumentParser
import Foundation
import Pipeline

/// The exit codes `shardkit` documents (README.md, `shardkit --help`); sysexits.h numbers where
/// one fits. Usage errors exit 64 through swift-argument-parser's `ValidationError`.
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

/// Prints one readable line, `shardkit: error: …`, on standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("shardkit: error: \(message)\n".utf8))
}

/// Runs a command body, turning any library error into one line on standard error and the
/// documented exit code, so every command fails the same way.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as PipelineError {
        printError(error.description)
        throw ExitCode(exitStatus(for: error.kind).rawValue)
    } catch {
        printError(String(describing: error))
        throw ExitCode(ExitStatus.dataError.rawValue)
    }
}

func exitStatus(for kind: PipelineError.Kind) -> ExitStatus {
    switch kind {
    case .noInput: .noInput
    case .badInput: .dataError
    case .output: .ioError
    case .usage: .dataError
    }
}
