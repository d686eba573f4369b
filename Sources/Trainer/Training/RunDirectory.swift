import Foundation
import RecordIO
package import ShardKitSupport
import Shards

/// A training output that cannot be made: a run directory that already holds a run or that
/// another `train` is writing into, or a file (a checkpoint, an event file, `config.json`) that
/// cannot be written.
public struct TrainingOutputError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// The run directory already holds a run, and neither `overwrite` nor `resume` was asked for.
        case exists
        /// A write failed (a full disk, a read-only file system, no permission).
        case writeFailed
        /// Another `train` holds the run directory's lock.
        case busy
    }

    /// What went wrong.
    public var kind: Kind
    /// The file or directory concerned (the final name, never a temporary one).
    public var path: String
    /// The reason, e.g. "write failed: No space left on device".
    public var message: String

    /// An error about `path`.
    public init(_ kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// One line: the path, then the reason.
    public var description: String { "\(path): \(message)" }
}

extension TrainingOutputError: CategorizedError {
    package var category: ErrorCategory {
        switch kind {
        case .exists: .outputExists
        case .writeFailed: .outputFailed
        case .busy: .busy
        }
    }
}

/// The one folder a training run writes: `config.json` (a copy of the configuration),
/// `latest.safetensors` and `best.safetensors` (the checkpoints) and the TensorBoard event files
/// (`events.out.tfevents.*`). `eval` and `predict` find the checkpoint in it.
public struct RunDirectory: Sendable, Equatable {
    /// The folder.
    public let path: String

    /// The run directory at `path` (nothing is read or made yet).
    public init(_ path: String) {
        self.path = path
    }

    /// The configuration of the run, as JSON.
    public var configPath: String { joinPath(path, "config.json") }
    /// The checkpoint `--resume` continues from: after every epoch, every `--checkpoint-every`
    /// steps and at the end.
    public var latestPath: String { joinPath(path, "latest.safetensors") }
    /// The checkpoint with the best validation accuracy so far.
    public var bestPath: String { joinPath(path, "best.safetensors") }

    static let eventFilePrefix = "events.out.tfevents."

    /// Whether `name` is something a run writes: the configuration, a checkpoint, an event file,
    /// or a temporary file that an atomic write of one of them left behind when it was killed
    /// (`.latest.safetensors.tmp-<pid>`, see `writeFileAtomically`).
    static func isRunFile(_ name: String) -> Bool {
        if ["config.json", "latest.safetensors", "best.safetensors"].contains(name) { return true }
        if name.hasPrefix(eventFilePrefix) { return true }
        return isTemporaryFile(name)
    }

    static func isTemporaryFile(_ name: String) -> Bool {
        ["config.json", "latest.safetensors", "best.safetensors"].contains { name.hasPrefix(".\($0).tmp-") }
    }

    /// The names of the run files in the folder, sorted (empty when the folder does not exist).
    public func runFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter(Self.isRunFile).sorted()
    }

    /// The lock file `lock()` holds (the dataset writers' name for it, hidden, not a run file).
    var lockPath: String { joinPath(path, DatasetWriter.lockName) }

    /// Takes the folder's lock without waiting: the dataset writers' `OutputLock` (an exclusive
    /// `flock` on `lockPath`), so that a second `train` into the same folder fails at once
    /// (`TrainingOutputError.busy`, exit 75) instead of mixing its checkpoints and event files with
    /// this run's. The folder must exist. The caller releases the lock when the run ends; `kill -9`
    /// releases it too (the kernel drops the `flock`; the empty file stays, and is reused).
    func lock() throws(TrainingOutputError) -> OutputLock {
        do {
            return try OutputLock(directory: URL(fileURLWithPath: path))
        } catch where error.kind == .busy {
            throw TrainingOutputError(
                .busy, path: path,
                message: "another shardkit train is writing into this run directory; "
                    + "wait for it to end or choose another --run-dir")
        } catch {
            throw TrainingOutputError(.writeFailed, path: error.path ?? path, message: error.message)
        }
    }

    /// Makes the folder ready for a new run and returns the paths it removed. A folder that
    /// already holds a run is refused (`TrainingOutputError.exists`, exit 73) unless `overwrite`
    /// is given; then its run files are removed first. Other files in the folder are left alone.
    /// The folder exists already (`createIfNeeded`), and its lock is held (`lock`).
    func prepareForNewRun(overwrite: Bool) throws -> [String] {
        let existing = runFiles()
        var removed: [String] = []
        if !existing.isEmpty {
            guard overwrite else {
                let shown = existing.filter { !Self.isTemporaryFile($0) }
                throw TrainingOutputError(
                    .exists, path: path,
                    message:
                        "already holds a training run (\((shown.isEmpty ? existing : shown).joined(separator: ", "))); "
                        + "give --overwrite to replace it, --resume to continue it, or another --run-dir")
            }
            for name in existing {
                let file = joinPath(path, name)
                removeFileQuietly(file)
                removed.append(file)
            }
        }
        return removed
    }

    /// Checks that there is a checkpoint to resume from, and removes the temporary files a killed
    /// run left (under the folder's lock, `lock`); returns the paths removed.
    func prepareForResume() throws -> [String] {
        guard FileManager.default.fileExists(atPath: latestPath) else {
            let files = runFiles()
            throw DataError(
                .missing, path: latestPath,
                message: "--resume: no checkpoint to resume from"
                    + (files.isEmpty ? "" : " (the run was stopped before its first checkpoint; start it again with --overwrite)"))
        }
        var removed: [String] = []
        for name in runFiles() where Self.isTemporaryFile(name) {
            removeFileQuietly(joinPath(path, name))
            removed.append(joinPath(path, name))
        }
        return removed
    }

    /// Makes the folder when it does not exist; returns whether it made it.
    func createIfNeeded() throws -> Bool {
        if isDirectory(path) { return false }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TrainingOutputError(.writeFailed, path: path, message: "cannot create the run directory: \(Self.reason(error))")
        }
        return true
    }

    /// The checkpoint `eval` and `predict` use from a run directory: `best.safetensors` (the best
    /// validation accuracy), else `latest.safetensors` (a run without a validation split).
    public func checkpointForEvaluation() throws -> String {
        for candidate in [bestPath, latestPath] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        let why = isDirectory(path) ? "holds no best.safetensors or latest.safetensors" : "no such run directory"
        throw DataError(.missing, path: path, message: why)
    }

    /// Writes `bytes` to `path` atomically and durably (the one way, `writeFileAtomically`); a
    /// failure names `path`, not the temporary file.
    static func write(_ bytes: [UInt8], to path: String) throws(TrainingOutputError) {
        do {
            try writeFileAtomically(bytes, to: path)
        } catch {
            throw TrainingOutputError(.writeFailed, path: path, message: error.reason)
        }
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return error.localizedDescription
    }
}
