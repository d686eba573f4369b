import Dispatch
internal import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What happens on SIGINT (Ctrl-C) and SIGTERM: every output still being written is cleaned up —
/// its staging folder and anything already moved into place removed — each removal is said on
/// standard error, and the process exits with 128 + the signal's number (130, 143). Nothing
/// half-written is left behind, and nothing that looks complete.
///
/// `DatasetWriter` registers its clean-up while it writes; a command that writes datasets calls
/// `install()` once at start.
package enum Interrupts {
    private static let cleanups = Mutex<[Int: @Sendable () -> [String]]>([:])
    private static let nextToken = Atomic<Int>(0)
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    private static let installed = Atomic<Bool>(false)

    /// Routes SIGINT and SIGTERM to the clean-up (once per process).
    package static func install() {
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let queue = DispatchQueue(label: "shardkit.interrupts")
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)  // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { interrupted(by: signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    /// Registers `cleanup`, which removes what an unfinished output wrote and returns the paths it
    /// removed; returns the token to unregister it with once the output is complete or aborted.
    package static func register(_ cleanup: @escaping @Sendable () -> [String]) -> Int {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        cleanups.withLock { $0[token] = cleanup }
        return token
    }

    package static func unregister(_ token: Int) {
        _ = cleanups.withLock { $0.removeValue(forKey: token) }
    }

    private static func interrupted(by signalNumber: Int32) {
        let pending = cleanups.withLock { all in
            defer { all.removeAll() }
            return all.sorted { $0.key < $1.key }.map(\.value)
        }
        let name = signalNumber == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)"
        var lines = ["shardkit: \(name); stopping"]
        for cleanup in pending {
            for path in cleanup() { lines.append("shardkit: removed \(path)") }
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        exit(128 + signalNumber)
    }
}
