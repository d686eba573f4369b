internal import ShardKitSupport
package import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Creates `directory` and its parents if needed; failure is an `.output` error naming it.
package func createDirectory(_ directory: URL) throws(DatasetError) {
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
        throw DatasetError(.output, path: directory.path, "cannot create directory: \(error.localizedDescription)")
    }
}

/// Whether process `pid` of this host has ended: no such process, or a zombie nobody has reaped
/// yet (a parent killed with it, or a container whose init does not reap, leaves those).
package func processHasEnded(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 && errno == ESRCH { return true }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    // `pid (comm) S …`: the state follows the command name, which may itself hold spaces.
    return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "Z"
}
