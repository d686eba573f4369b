import ArgumentParser
import Foundation
import ShardKitSupport
import Shards

/// The exit codes `shardkit` documents (README.md, `shardkit --help`); sysexits.h numbers where
/// one fits. This file is the only place that turns a failure into an exit code.
enum ExitStatus: Int32, CaseIterable {
    /// Verification found corrupt records or a manifest mismatch; or `repair` dropped records (and
    /// wrote its clean copy): damage was found, the same news a script checks `verify` for.
    case verificationFailed = 1
    /// Bad arguments (swift-argument-parser's `ValidationError` and option values found wrong later).
    case usage = 64
    /// A malformed input file (wrong magic, truncated record, bad checksum while converting).
    case dataError = 65
    /// An input file or directory is missing or unreadable.
    case noInput = 66
    /// A failure that is a bug in shardkit, not in the input: please report it.
    case software = 70
    /// The output directory already holds a dataset.
    case cannotCreate = 73
    /// Output could not be written.
    case ioError = 74
    /// Another run holds the output.
    case busy = 75

    /// The one mapping from an error's category to the exit code.
    init(_ category: ErrorCategory) {
        switch category {
        case .usage: self = .usage
        case .missingInput: self = .noInput
        case .malformedInput: self = .dataError
        case .outputFailed: self = .ioError
        case .outputExists: self = .cannotCreate
        case .busy: self = .busy
        }
    }
}

/// Prints one readable line, `shardkit: error: …`, on standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("shardkit: error: \(message)\n".utf8))
}

/// Runs a command body, turning any error into one line on standard error and the documented
/// exit code, so every command fails the same way. SIGINT and SIGTERM stop it the same way too:
/// unfinished outputs are removed, and the exit code is 130 or 143 (`Interrupts`).
func reportingErrors(_ body: () throws -> Void) throws {
    Interrupts.install()
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as any CategorizedError {
        printError(String(describing: error))
        throw ExitCode(ExitStatus(error.category).rawValue)
    } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.errorUserInfo.description
        printError("\(path): no such file or directory")
        throw ExitCode(ExitStatus.noInput.rawValue)
    } catch {
        printError("internal error (please report it): \(error)")
        throw ExitCode(ExitStatus.software.rawValue)
    }
}
