internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// CASIA HWDB `.gnt` (`train/*.gnt`, `test/*.gnt`) → `image` (size×size×1), `label` (index in
/// the character dictionary), `character` (UTF-8) and `writer` (the file's base name). The
/// dictionary is built from train (or loaded with `--dictionary`) and saved as `characters.json`
/// beside the shards; a test character it lacks is an error naming file, record and character.
enum HWDBConversion: FormatRecipe {
    static let words = [
        FormatWord(
            format: .hwdb, input: "CASIA's *_gnt.zip or their folders, or train/ + test/ of .gnt files",
            examples: ["shardkit convert hwdb --input hwdb --output out/hwdb --image-encoding jpeg"],
            note:
                "the character dictionary is written as characters.json; HWDB1.1trn_gnt.zip holds an ALZip archive: the error prints the unalz command.",
            options: [.size, .dictionary]),
    ]

    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String] {
        ["size": String(options.size), "dictionary": options.dictionary?.path ?? "built from train"]
    }

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        let (trainFiles, testFiles, search) = try resolveInput(options)
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
                    .noInput, path: options.input.path,
                    "no training .gnt files (train/, *trn*_gnt.zip) to build the character dictionary from; "
                        + "pass --dictionary FILE")
            }
            dictionary = try reading { () throws(FormatError) in try CharacterDictionary.build(scanning: trainFiles) }
            dictionarySource = "train"
        }
        let side = options.size
        let step = Step(dictionary: dictionary, dictionarySource: dictionarySource, side: side)
        var passes: [ConversionPass] = []
        for (split, files) in [("train", trainFiles), ("test", testFiles)] where !files.isEmpty {
            passes.append(
                ConversionPass(
                    split: split, files: files, countIsCheap: false,
                    reader: { file throws(FormatError) in try GNTReader(input: file) },
                    // Header to header: 10 bytes read per sample, no bitmap (a seek).
                    count: { reader throws(FormatError) in try reader.skip(Int.max) },
                    open: { skip throws(DatasetError) in
                        DatasetSource(files, skip: skip, open: { file throws(FormatError) in try GNTReader(input: file) })
                            .records(step)
                    }))
        }
        var plan = ConversionPlan(
            passes: passes,
            spec: DatasetSpec(
                features: [
                ("image", .image(shape: [side, side, 1], encoding: encoding)),
                ("label", .classLabel(count: dictionary.count, names: dictionary.characters)),
                ("character", .text), ("writer", .text),
            ],
            supervisedKeys: ("image", "label")),
            description: "CASIA HWDB handwritten characters converted by shardkit",
            files: [("characters.json", charactersJSON(dictionary))],
            metadata: [
                "classes": String(dictionary.count),
                "dictionary": dictionarySource,
            ])
        if let url = options.dictionary { search.digests.register(url.standardizedFileURL.path) }
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// The per-sample step: the character's index in the dictionary as `label`, the character
    /// itself, the writer (the file's base name), and the bitmap resized to `side × side` on the
    /// workers. A character the dictionary lacks is an error naming file and record.
    struct Step: SampleRecipe {
        var dictionary: CharacterDictionary
        /// Where the dictionary came from ("train", or the `--dictionary` file's name), for errors.
        var dictionarySource: String
        var side: Int

        func record(_ sourced: SourcedSample<GNTSample>) throws(DatasetError) -> PendingRecord {
            let sample = sourced.sample
            let label: Int
            do throws(FormatError) {
                label = try dictionary.index(of: sample.character)
            } catch {
                throw DatasetError(
                    .badInput, path: sourced.file.path, recordIndex: sourced.index,
                    "\(error.message) built from \(dictionarySource)")
            }
            return PendingRecord(
                split: 0, path: sourced.file.path, index: sourced.index, key: sourced.key,
                image: .decoded(sample.image), resizeSide: side,
                features: [
                    "label": .int64([Int64(label)]),
                    "character": .bytes([Array(sample.character.utf8)]),
                    "writer": .bytes([Array(sourced.file.stem.utf8)]),
                ])
        }
    }

    /// `--input` for CASIA HWDB, in this order: a folder with `train/` and `test/` folders of
    /// `.gnt` files; one of CASIA's zips as shipped (`HWDB1.1tst_gnt.zip`: `.gnt` files at its
    /// top), or the folder it unpacks to, whose split comes from the name (`tst`/`test` → test,
    /// else train); or the folder above those, holding `*trn*` and `*tst*` zips or folders (a
    /// folder wins over the zip of the same name). `.gnt` files are read in bytewise name order,
    /// a split's sources one after another in name order. `HWDB1.1trn_gnt.zip` holds an ALZip
    /// archive: refused with the `unalz` command that unpacks it.
    static func resolveInput(_ options: ConvertOptions) throws(DatasetError)
        -> (train: [InputFile], test: [InputFile], search: InputSearch)
    {
        let search = InputSearch(options.input)
        let input = search.input
        func gnt(_ place: InputPlace) -> [InputFile] { place.files { $0.hasSuffix(".gnt") } }
        func split(of name: String) -> String? {
            let lowered = name.lowercased()
            if lowered.contains("tst") || lowered.contains("test") { return "test" }
            if lowered.contains("trn") || lowered.contains("train") { return "train" }
            return nil
        }
        /// The .gnt files in a folder, or in its one subfolder (however an archive unpacked).
        func gntFolder(_ url: URL) -> [InputFile] {
            let here = gnt(search.folder(url))
            if !here.isEmpty { return here }
            let children = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [])
                .map { url.appendingPathComponent($0) }.filter(search.isFolder)
            return children.count == 1 ? gnt(search.folder(children[0])) : []
        }
        /// The .gnt files of a zip: at its top, or in its one top folder; an entry with ALZip's
        /// magic number is refused like an `.alz` name.
        func gntArchive(_ url: URL) throws(DatasetError) -> [InputFile] {
            guard let archive = try search.archive(url) else { return [] }
            let folders = Set(
                archive.entries.compactMap { entry in
                    entry.name.contains("/") ? entry.name.split(separator: "/").first.map(String.init) : nil
                })
            let candidates = [""] + (folders.count == 1 ? [folders.first! + "/"] : [])
            for prefix in candidates {
                let files = gnt(InputPlace(storage: .archive(archive, prefix: prefix), digests: search.digests))
                if !files.isEmpty { return files }
            }
            for entry in archive.entries.prefix(4) {
                let head = try reading { () throws(FormatError) in try InputFile(entry: entry, of: archive).prefix(4) }
                if ArchiveFile.kind(of: head) == .alz {
                    throw search.alzRefusal(alz: URL(fileURLWithPath: entry.name), inside: url)
                }
            }
            return []
        }
        func assign(_ files: [InputFile], name: String) -> ([InputFile], [InputFile]) {
            split(of: name) == "test" ? ([], files) : (files, [])
        }
        if search.isFile(input) {
            search.note("\(input.path): a zip of .gnt files (CASIA's *_gnt.zip)")
            let files = try gntArchive(input)
            guard !files.isEmpty else { throw search.refusal("no .gnt files") }
            let (train, test) = assign(files, name: input.deletingPathExtension().lastPathComponent)
            return (train, test, search)
        }
        search.note("\(input.path)/train/*.gnt and test/*.gnt")
        let train = gnt(search.folder(input.appendingPathComponent("train")))
        let test = gnt(search.folder(input.appendingPathComponent("test")))
        if !train.isEmpty || !test.isEmpty { return (train, test, search) }
        search.note("*.gnt in \(input.path)")
        let here = gnt(search.folder(input))
        if !here.isEmpty {
            let (train, test) = assign(here, name: input.lastPathComponent)
            return (train, test, search)
        }
        search.note("\(input.path)/*trn*_gnt.zip, *tst*_gnt.zip or the folders they unpack to")
        let children = ((try? FileManager.default.contentsOfDirectory(atPath: input.path)) ?? []).sorted(by: bytewise)
        // Folders holding .gnt files first, so that a zip unpacked beside itself is read once.
        var unpacked: [String: [InputFile]] = [:]
        for name in children where split(of: name) != nil && search.isFolder(input.appendingPathComponent(name)) {
            let files = gntFolder(input.appendingPathComponent(name))
            if !files.isEmpty { unpacked[name] = files }
        }
        var sources: [String: [InputFile]] = [:]
        for name in children {
            guard let split = split(of: name) else { continue }
            let url = input.appendingPathComponent(name)
            if let files = unpacked[name] {
                sources[split, default: []] += files
            } else if search.isFile(url), unpacked[url.deletingPathExtension().lastPathComponent] == nil,
                ArchiveFile.kind(of: ArchiveFile.leadingBytes(ofFileAt: url.path)) != nil
            {
                sources[split, default: []] += try gntArchive(url)
            }
        }
        let (trainSources, testSources) = (sources["train"] ?? [], sources["test"] ?? [])
        guard !trainSources.isEmpty || !testSources.isEmpty else { throw search.refusal("no .gnt files") }
        try search.checkListedArchives(strict: options.strictInputs, quiet: options.quiet)
        return (trainSources, testSources, search)
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

extension DatasetFormat {
    /// CASIA HWDB `.gnt` files (`train/*.gnt`, `test/*.gnt`).
    public static let hwdb = DatasetFormat(word: "hwdb")
}
