import Formats
import Foundation
import TestSupport
import Testing

/// The idx variants' class names and label numbering, and choosing one EMNIST set among the
/// several its download folder holds.
@Suite struct MNISTVariantTests {
    @Test func classNamesPerVariant() {
        #expect(MNISTVariant.mnist.classNames == nil)
        #expect(MNISTVariant.mnist.classCount == 10)
        #expect(MNISTVariant.fashion.classNames?.first == "T-shirt/top")
        #expect(MNISTVariant.fashion.classNames?.last == "Ankle boot")
        #expect(MNISTVariant.kmnist.classNames?.first == "お (o)")
        #expect(MNISTVariant.kmnist.classNames?[3] == "つ (tsu)")
        #expect(MNISTVariant.kmnist.classNames?.last == "を (wo)")
        // The hiragana of kmnist_classmap.csv, by code point.
        #expect(
            MNISTVariant.kmnist.classNames!.map { $0.unicodeScalars.first!.value }
                == [0x304A, 0x304D, 0x3059, 0x3064, 0x306A, 0x306F, 0x307E, 0x3084, 0x308C, 0x3092])
        let counts = EMNISTSubset.allCases.map { MNISTVariant.emnist($0).classCount }
        #expect(counts == [62, 47, 47, 26, 10, 10])
        let byclass = EMNISTSubset.byclass.classNames
        #expect(
            byclass[9] == "9" && byclass[10] == "A" && byclass[35] == "Z" && byclass[36] == "a" && byclass[61] == "z")
        // emnist-bymerge-mapping.txt: 36 → 97 'a', 38 → 100 'd', 43 → 110 'n', 46 → 116 't'.
        let merged = EMNISTSubset.bymerge.classNames
        #expect(merged[36] == "a" && merged[38] == "d" && merged[43] == "n" && merged[46] == "t")
        #expect(EMNISTSubset.balanced.classNames == merged)
        #expect(EMNISTSubset.letters.classNames.first == "A/a" && EMNISTSubset.letters.classNames.last == "Z/z")
        #expect(MNISTVariant.emnist(.letters).labelOffset == 1)
        #expect(MNISTVariant.emnist(.byclass).labelOffset == 0 && MNISTVariant.fashion.labelOffset == 0)
        #expect(MNISTVariant.emnist(.digits).storesTransposed && !MNISTVariant.kmnist.storesTransposed)
    }

    @Test func oneEMNISTSetOfSeveral() throws {
        let folder = FixturePaths.fixture("emnist")
        #expect(try MNISTDataset.prefixes(in: folder) == ["emnist-digits-", "emnist-letters-"])
        let mixed = formatError { _ = try MNISTDataset(directory: folder) }
        #expect(mixed?.message == "more than one idx dataset in the folder")
        let letters = try MNISTDataset(directory: folder, prefix: MNISTVariant.emnist(.letters).filePrefix)
        #expect(letters.splits[.train]?.images.lastPathComponent == "emnist-letters-train-images-idx3-ubyte.gz")
        #expect(letters.splits[.test]?.labels.lastPathComponent == "emnist-letters-test-labels-idx1-ubyte.gz")
        let samples = try readAll(try letters.reader(for: .train))
        #expect(samples.map(\.label) == (try expectedJSON("emnist/expected.json")).dict("letters/train").ints("labels"))
        let absent = formatError { _ = try MNISTDataset(directory: folder, prefix: "emnist-byclass-") }
        #expect(absent?.kind == .missingFile)
        #expect(absent?.found == "'emnist-digits-', 'emnist-letters-'")
        #expect(try MNISTDataset.prefixes(in: FixturePaths.fixture("kmnist")) == [""])
    }
}
