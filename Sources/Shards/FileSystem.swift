internal import ShardKitSupport
package import Foundation

/// Creates `directory` and its parents if needed; failure is an `.output` error naming it.
package func createDirectory(_ directory: URL) throws(DatasetError) {
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
        throw DatasetError(.output, path: directory.path, "cannot create directory: \(error.localizedDescription)")
    }
}
