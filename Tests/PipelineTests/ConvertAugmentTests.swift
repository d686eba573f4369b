import Examples
import Foundation
import Imaging
import Pipeline
import Shards
import RecordIO
import TestSupport
import Testing

/// `convert --augment SPEC --copies K`: K records per source image, each augmented with randomness
/// keyed by the record, recorded in the manifest, and the same bytes whatever the number of jobs.
@Suite struct ConvertAugmentTests {
    static let spec = "crop=24,resize=28,brightness=0.2"

    func convert(jobs: Int, copies: Int = 3) throws -> URL {
        try ConvertTesting.convert(.mnist, input: FixturePaths.fixture("mnist"), sharding: .shards(1), jobs: jobs) {
            $0.augment = try! AugmentSpec(parsing: Self.spec)
            $0.copies = copies
        }.0
    }

    @Test func writesKAugmentedCopiesOfEachImageInOrder() throws {
        let output = try convert(jobs: 2)
        defer { ConvertTesting.remove(output) }
        let plain = try ConvertTesting.convert(.mnist, input: FixturePaths.fixture("mnist"), sharding: .shards(1)).0
        defer { ConvertTesting.remove(plain) }
        let augmented = try ConvertTesting.examples(output, split: "train")
        let originals = try ConvertTesting.examples(plain, split: "train")
        #expect(augmented.count == 3 * originals.count)
        for (i, original) in originals.enumerated() {
            let copies = augmented[(3 * i)..<(3 * i + 3)]
            // Labels are kept; the pixels are the source's, cropped, resized and brightened.
            #expect(copies.allSatisfy { $0.int64s("label") == original.int64s("label") })
            let images = try copies.map(ConvertTesting.image)
            #expect(images.allSatisfy { $0.height == 28 && $0.width == 28 })
            #expect(Set(images.map(\.pixels)).count == 3, "record \(i): the three copies should differ")
            #expect(!images.contains(try ConvertTesting.image(original)))
        }
        let manifest = try Manifest.read(from: output.path)
        #expect(manifest.metadata["augment"] == Self.spec)
        #expect(manifest.metadata["copies"] == "3")
    }

    @Test func augmentedOutputIsTheSameForOneOrTwoJobs() throws {
        let one = try convert(jobs: 1)
        let two = try convert(jobs: 2)
        defer { ConvertTesting.remove(one); ConvertTesting.remove(two) }
        #expect(try ConvertTesting.files(one) == ConvertTesting.files(two))
    }

    @Test func copiesWithoutAugmentationAreRefused() throws {
        #expect(throws: DatasetError.self) {
            _ = try ConvertTesting.convert(.mnist, input: FixturePaths.fixture("mnist")) { $0.copies = 2 }
        }
    }
}
