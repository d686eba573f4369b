public import Foundation
internal import RecordIO

/// Maps each character of a handwriting dataset to a class index: the characters sorted by
/// Unicode scalar values, numbered from 0. Built once from the training files and saved beside
/// the records as JSON (`{"一": 0, "中": 1, …}`), so indices are stable across runs and machines.
public struct CharacterDictionary: Sendable, Equatable {
    /// Characters by index, sorted by Unicode scalar values.
    public let characters: [String]
    private let indices: [String: Int]

    /// A dictionary over the distinct `characters`, sorted.
    public init(characters: some Sequence<String>) {
        let sorted = Set(characters).sorted(by: Self.scalarOrder)
        self.characters = sorted
        indices = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
    }

    /// Compares by Unicode scalar values, the order Python's `sorted` uses for strings.
    static func scalarOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
    }

    /// The number of characters (classes).
    public var count: Int { characters.count }

    /// Scans `.gnt` files (tag codes only, pixels skipped) and collects their characters.
    public static func build(scanning files: [URL]) throws(FormatError) -> CharacterDictionary {
        try build(scanning: files.map { InputFile(disk: $0) })
    }

    /// Scans `.gnt` files on disk or inside an archive.
    public static func build(scanning files: [InputFile]) throws(FormatError) -> CharacterDictionary {
        var seen = Set<String>()
        for file in files {
            let reader = try GNTReader(input: file)
            while let character = try reader.nextCharacter() { seen.insert(character) }
        }
        return CharacterDictionary(characters: seen)
    }

    /// The class index of `character`; a character the dictionary does not hold is an
    /// `.unknownKey` error naming it.
    public func index(of character: String) throws(FormatError) -> Int {
        guard let index = indices[character] else {
            let scalars = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
            throw FormatError(
                .unknownKey, path: "character dictionary",
                "character \"\(character)\" (\(scalars.joined(separator: " "))) is not in the dictionary",
                expected: "one of \(count) characters")
        }
        return index
    }

    /// Writes `{"character": index, …}` as UTF-8 JSON with sorted keys.
    public func save(to url: URL) throws(FormatError) {
        let json: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            json = try encoder.encode(indices)
        } catch {
            throw FormatError(.io, path: url.path, "cannot encode the dictionary: \(error.localizedDescription)")
        }
        do throws(RecordIOError) { try writeFileAtomically([UInt8](json), to: url.path) } catch {
            throw FormatError(.io, path: url.path, "cannot write the dictionary: \(error.reason)")
        }
    }

    /// Reads a dictionary written by `save(to:)`; indices must be 0..<count in sorted character order.
    public static func load(from url: URL) throws(FormatError) -> CharacterDictionary {
        let map: [String: Int]
        do {
            map = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: url))
        } catch {
            throw FormatError(.io, path: url.path, "cannot read the dictionary: \(error.localizedDescription)")
        }
        let dictionary = CharacterDictionary(characters: map.keys)
        for (character, index) in map where dictionary.indices[character] != index {
            throw FormatError(
                .badRecord, path: url.path, "index of \"\(character)\" is not its place in sorted order",
                expected: "\(dictionary.indices[character]!)", found: "\(index)")
        }
        return dictionary
    }
}
