import Formats
import Foundation
import TestSupport
import Testing

@Suite struct DigitStructReaderTests {
    static func boxes(_ json: [String: Any]) -> [DigitBox] {
        json.list("boxes").map {
            DigitBox(
                label: $0.int("label"), left: Double($0.int("left")), top: Double($0.int("top")),
                width: Double($0.int("width")), height: Double($0.int("height")))
        }
    }

    @Test(arguments: ["train", "test"], [1, 2, 3])
    func entriesMatchGenerator(split: String, walkers: Int) throws {
        let want = try expectedJSON("svhn/expected.json").list(split)
        let reader = try DigitStructReader(url: FixturePaths.fixture("svhn/\(split)/digitStruct.mat"), walkers: walkers)
        #expect(reader.count == want.count)
        let entries = try readAll(reader)
        #expect(entries.map(\.name) == want.map { $0["name"] as! String })
        #expect(entries.map(\.index) == Array(0..<want.count))
        for (entry, w) in zip(entries, want) {
            #expect(entry.boxes == Self.boxes(w))
        }
    }

    @Test func inlineAndReferenceForms() throws {
        let entries = try readAll(DigitStructReader(url: FixturePaths.fixture("svhn/train/digitStruct.mat")))
        // 2.png: one digit stored inline, label 10 = digit 0.
        #expect(entries[1].boxes.count == 1)
        #expect(entries[1].boxes[0].label == 10)
        #expect(entries[1].boxes[0].digit == 0)
        // 3.png: six digits through /#refs#.
        #expect(entries[2].boxes.map(\.digit) == [1, 2, 3, 4, 5, 6])
        // 4.png: a box with left = -1.
        #expect(entries[3].boxes[0].left == -1)
    }

    /// Whichever walker meets the bad entry, the entries before it come out in order, then its
    /// error, as with one walker; a restart reads from the first entry again.
    @Test(arguments: [1, 2, 3])
    func badEntryInTheMiddle(walkers: Int) throws {
        let reader = try DigitStructReader(
            url: FixturePaths.fixture("broken/svhn/bad-label/digitStruct.mat"), walkers: walkers)
        #expect(reader.count == 5)
        for round in 0..<2 {
            var names: [String] = []
            let e = formatError {
                while let entry = try reader.next() { names.append(entry.name) }
            }
            #expect(names == ["1.png", "2.png", "3.png"], "round \(round)")
            #expect(e?.kind == .badRecord)
            #expect(e?.record == 3)
            #expect(e?.description == "digitStruct.mat: record 3: digit 0 of '4.png': label out of range (expected 1…10, found 11.0)")
            #expect(try reader.next() == nil)
            try reader.restart()
        }
    }

    @Test func missingDigitStruct() {
        let e = formatError {
            _ = try DigitStructReader(url: FixturePaths.fixture("broken/svhn/no-digitstruct/digitStruct.mat"))
        }
        #expect(e?.kind == .missingEntry)
        #expect(e?.description.hasPrefix("digitStruct.mat: no /digitStruct group") == true)
        #expect(e?.path.hasSuffix("broken/svhn/no-digitstruct/digitStruct.mat") == true)
    }

    @Test func notHDF5AndMissingFile() {
        let e = formatError { _ = try DigitStructReader(url: FixturePaths.fixture("cifar10/batches.meta.txt")) }
        #expect(e?.kind == .io)
        #expect(e?.message.hasPrefix("not an HDF5 (MATLAB v7.3) file") == true)
        let m = formatError { _ = try DigitStructReader(url: FixturePaths.fixture("svhn/nope/digitStruct.mat")) }
        #expect(m?.kind == .missingFile)
    }
}
