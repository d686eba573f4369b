import Foundation
import RecordIO
import Shards
import Synchronization

/// What a training run leaves when it stops early — on SIGINT or SIGTERM (through `Interrupts`,
/// which then exits 130 or 143) or on an error:
/// - once a checkpoint is complete, everything is kept, and the interrupt says which checkpoint
///   (and at which step) `--resume` will continue from;
/// - before the first one, the files this run made (`config.json`, its event file, the folder if
///   it made it) are removed, so the same command can simply be run again.
///
/// Checkpoints are written under the same lock the interrupt takes, so an interrupt waits for a
/// write under way (it is atomic anyway: temporary file, fsync, rename) and reports exactly what
/// is on disk; no write starts after it.
final class RunGuard: Sendable {
    private struct State: Sendable {
        var kept: (path: String, step: Int)?
        var madeFiles: [String] = []
        var madeDirectory: String?
        /// Set once the run has ended; the interrupt then has nothing to do.
        var finished = false
    }

    private let state = Mutex(State())
    private let token = Atomic<Int>(0)

    /// - Parameter resumedFrom: the checkpoint a resumed run starts from (kept from the start).
    init(createdDirectory: String?, resumedFrom: (path: String, step: Int)?) {
        state.withLock {
            $0.madeDirectory = createdDirectory
            $0.kept = resumedFrom
        }
        token.store(Interrupts.register { [self] in interrupted() }, ordering: .relaxed)
    }

    /// Records a file this run made, removed again if the run stops before its first checkpoint.
    func made(_ path: String) {
        state.withLock { $0.madeFiles.append(path) }
    }

    /// Runs `write` (which writes the checkpoint at `path`) under the lock; when `isResumePoint`,
    /// the checkpoint is from then on the one kept. After an interrupt it writes nothing: the
    /// process is about to exit, and a write begun now would be cut off.
    func writeCheckpoint<E: Error>(
        path: String, step: Int, isResumePoint: Bool, _ write: () throws(E) -> Void
    ) throws(E) {
        try state.withLock { (s: inout State) throws(E) in
            guard !s.finished else { return }
            try write()
            if isResumePoint { s.kept = (path, step) }
        }
    }

    /// The checkpoint that is kept, if any.
    var kept: (path: String, step: Int)? { state.withLock { $0.kept } }

    /// The run ended normally: nothing to clean up.
    func finish() {
        Interrupts.unregister(token.load(ordering: .relaxed))
        state.withLock { $0.finished = true }
    }

    /// The run failed: removes what it made if no checkpoint is kept, and returns the paths removed.
    @discardableResult
    func abandon() -> [String] {
        Interrupts.unregister(token.load(ordering: .relaxed))
        return state.withLock { s in
            guard !s.finished else { return [] }
            s.finished = true
            return s.kept == nil ? Self.removeMade(s) : []
        }
    }

    /// Called by `Interrupts` on its own thread, which exits the process right after.
    private func interrupted() -> [String] {
        state.withLock { s in
            guard !s.finished else { return [] }
            s.finished = true
            if let kept = s.kept {
                FileHandle.standardError.write(
                    Data("shardkit: kept \(kept.path) (step \(kept.step)); continue it with --resume\n".utf8))
                return []
            }
            return Self.removeMade(s)
        }
    }

    private static func removeMade(_ s: State) -> [String] {
        var removed: [String] = []
        for path in s.madeFiles where unlink(path) == 0 { removed.append(path) }
        if let directory = s.madeDirectory, rmdir(directory) == 0 { removed.append(directory) }
        return removed
    }
}
