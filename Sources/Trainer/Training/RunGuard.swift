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
/// Every file of the run is made inside `perform`, under the lock the interrupt takes: an
/// interrupt waits for a write under way (atomic anyway: temporary file, fsync, rename), knows
/// every file made, and reports exactly what is on disk; nothing is written after it.
///
/// The run directory's lock file (`RunDirectory.lock()`) is let go here too, before the folder is
/// removed: by the interrupt (its `flock` ends with the process), or through `finish`/`abandon`.
final class RunGuard: Sendable {
    struct State: Sendable {
        /// The checkpoint `--resume` continues from, once there is one.
        var kept: (path: String, step: Int)?
        /// Files this run made, removed if it stops before its first checkpoint.
        var madeFiles: [String] = []
        var madeDirectory: String?
        /// The run directory's lock file while this run holds it.
        var lockFile: String?
        var interrupted = false
        var ended = false
    }

    private let state = Mutex(State())
    private let token = Atomic<Int>(0)

    init() {
        token.store(Interrupts.register { [self] in interrupted() }, ordering: .relaxed)
    }

    /// Runs `body` under the lock, with the state to record what it makes. After an interrupt it
    /// does not run it, and never returns: the interrupt is about to exit the process, and a file
    /// begun now would be cut off.
    func perform<T>(_ body: (inout State) throws -> T) throws -> T {
        var result: T?
        try state.withLock { (s: inout State) throws in
            guard !s.interrupted else { return }
            result = try body(&s)
        }
        guard let result else {
            while true { pause() }
        }
        return result
    }

    /// The checkpoint that is kept, if any.
    var kept: (path: String, step: Int)? { state.withLock { $0.kept } }

    /// The run ended normally: nothing to clean up but the lock, which `unlock` lets go of (under
    /// the guard's lock, so an interrupt never removes a lock file that is no longer this run's).
    func finish(unlock: () -> Void) {
        Interrupts.unregister(token.load(ordering: .relaxed))
        state.withLock { s in
            s.ended = true
            s.lockFile = nil
            unlock()
        }
    }

    /// The run failed: lets go of the lock (`unlock`), then removes what it made if no checkpoint
    /// is kept, and returns the paths removed.
    @discardableResult
    func abandon(unlock: () -> Void) -> [String] {
        Interrupts.unregister(token.load(ordering: .relaxed))
        return state.withLock { s in
            guard !s.ended else { return [] }
            s.ended = true
            // First: the lock file must go before the folder can.
            s.lockFile = nil
            unlock()
            return s.kept == nil ? Self.removeMade(s) : []
        }
    }

    /// Called by `Interrupts` on its own thread, which exits the process right after.
    private func interrupted() -> [String] {
        state.withLock { s in
            guard !s.ended else { return [] }
            s.interrupted = true
            // The process exits right after, which ends the flock; the file goes first, so that
            // the folder can be removed and a later run finds no stale lock file.
            if let lockFile = s.lockFile { unlink(lockFile) }
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
