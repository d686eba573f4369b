import Foundation
import Examples
import RecordIO

/// Creates `directory` and its parents if needed; failure is an `.output` error naming it.
func createDirectory(_ directory: URL) throws(PipelineError) {
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
        throw PipelineError(.output, path: directory.path, "cannot create directory: \(error.localizedDescription)")
    }
}

extension FeatureSchema {
    /// The manifest's schema entry for what `SchemaAccumulator` saw.
    init(_ entry: SchemaEntry) {
        self.init(key: entry.key, kind: entry.kind, minCount: entry.minCount, maxCount: entry.maxCount)
    }
}
