import Formats
import Foundation
import TestSupport
import Testing

/// The error `body` throws, or `nil` when it succeeds; any error other than `FormatError` is an issue.
func formatError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FormatError? {
    do {
        try body()
        return nil
    } catch let error as FormatError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Every sample of a reader (fixtures are small).
func readAll<R: FormatReader>(_ reader: R) throws(FormatError) -> [R.Sample] {
    var samples: [R.Sample] = []
    while let sample = try reader.next() { samples.append(sample) }
    return samples
}

/// A fixture's `expected.json`, as written by Fixtures/generate.py.
func expectedJSON(_ relativePath: String) throws -> [String: Any] {
    let data = try Data(contentsOf: FixturePaths.fixture(relativePath))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
}

extension Dictionary where Key == String, Value == Any {
    func dict(_ key: String) -> [String: Any] { self[key] as! [String: Any] }
    func ints(_ key: String) -> [Int] { (self[key] as! [Any]).map { ($0 as! NSNumber).intValue } }
    func int(_ key: String) -> Int { (self[key] as! NSNumber).intValue }
    func list(_ key: String) -> [[String: Any]] { self[key] as! [[String: Any]] }
    func strings(_ key: String) -> [String] { self[key] as! [String] }
}
