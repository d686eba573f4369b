internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// CASIA HWDB `.gnt` (`train/*.gnt`, `test/*.gnt`) → `image` (size×size×1), `label` (index in
/// the character dictionary), `character` (UTF-8) and `writer` (the file's base name). The
/// dictionary is built from train (or loaded with `--dictionary`) and saved as `characters.json`
/// beside the shards; a test character it lacks is an error naming file, record and character.
enum HWDBConversion {
    static func plan(_ options: ConvertOptions, encoding: ImageEncoding) throws(DatasetError) -> ConversionPlan {
        func gntFiles(_ folder: URL) -> [URL] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.filter { $0.hasSuffix(".gnt") }.sorted().map { folder.appendingPathComponent($0) }
        }
        let trainFiles = gntFiles(options.input.appendingPathComponent("train"))
        let testFiles = gntFiles(options.input.appendingPathComponent("test"))
        guard !trainFiles.isEmpty || !testFiles.isEmpty else {
            throw DatasetError(.noInput, path: options.input.path, "no train/*.gnt or test/*.gnt files")
        }
        let dictionary: CharacterDictionary
        let dictionarySource: String
        if let url = options.dictionary {
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError(.noInput, path: url.path, "no such dictionary file")
            }
            dictionary = try reading { () throws(FormatError) in try CharacterDictionary.load(from: url) }
            dictionarySource = url.lastPathComponent
        } else {
            guard !trainFiles.isEmpty else {
                throw DatasetError(
                    .noInput, path: options.input.appendingPathComponent("train").path,
                    "no train/*.gnt to build the character dictionary from; pass --dictionary FILE")
            }
            dictionary = try reading { () throws(FormatError) in try CharacterDictionary.build(scanning: trainFiles) }
            dictionarySource = "train"
        }
        let side = options.size
        var passes: [ConversionPass] = []
        for (split, files) in [("train", trainFiles), ("test", testFiles)] where !files.isEmpty {
            passes.append(
                ConversionPass(
                    label: split, splits: [split],
                    counts: { () throws(DatasetError) in
                        var total = 0
                        for file in files {
                            let reader = try reading { () throws(FormatError) in try GNTReader(file: file) }
                            // Header to header: 10 bytes read per sample, no bitmap (a seek).
                            total += try reading { () throws(FormatError) in try reader.skip(Int.max) }
                        }
                        return [total]
                    },
                    countIsCheap: false,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        chainedPull(
                            files, skip: skip, open: { url throws(FormatError) in try GNTReader(file: url) },
                            map: { sample, file throws(DatasetError) in
                                let label: Int
                                do throws(FormatError) {
                                    label = try dictionary.index(of: sample.character)
                                } catch {
                                    throw DatasetError(
                                        .badInput, path: file.path, recordIndex: sample.index,
                                        "\(error.message) built from \(dictionarySource)")
                                }
                                return PendingRecord(
                                    split: 0, path: file.path, index: sample.index, image: .decoded(sample.image),
                                    resizeSide: side,
                                    features: [
                                        "label": .int64([Int64(label)]),
                                        "character": .bytes([Array(sample.character.utf8)]),
                                        "writer": .bytes([Array(file.stem.utf8)]),
                                    ])
                            })
                    }))
        }
        return ConversionPlan(
            passes: passes,
            features: [
                ("image", .image(shape: [side, side, 1], encoding: encoding)),
                ("label", .classLabel(count: dictionary.count, names: dictionary.characters)),
                ("character", .text), ("writer", .text),
            ],
            supervisedKeys: ("image", "label"),
            description: "CASIA HWDB handwritten characters converted by shardkit",
            files: [("characters.json", charactersJSON(dictionary))],
            metadata: [
                "classes": String(dictionary.count),
                "dictionary": dictionarySource,
            ])
    }

    /// `{"character": index, …}`, sorted keys, as `CharacterDictionary.save(to:)` writes it.
    static func charactersJSON(_ dictionary: CharacterDictionary) -> [UInt8] {
        var map: [String: Int] = [:]
        for (index, character) in dictionary.characters.enumerated() { map[character] = index }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? [UInt8](encoder.encode(map))) ?? []
    }
}
