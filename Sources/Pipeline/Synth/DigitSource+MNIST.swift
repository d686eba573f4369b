internal import ShardKitSupport
public import Shards
public import Formats
public import Foundation
import Imaging
public import Synth

extension DigitSource {
    /// The digits of one split of an MNIST-format folder (`MNISTDataset`: plain or `.gz` idx
    /// files). A missing split is `.noInput`; a malformed file `.badInput`, naming the file,
    /// record and offset.
    public static func mnist(directory: URL, split: MNISTDataset.Split) throws(DatasetError) -> DigitSource {
        var images: [Image] = []
        var labels: [Int] = []
        do {
            let dataset = try MNISTDataset(directory: directory)
            let reader = try dataset.reader(for: split)
            images.reserveCapacity(reader.count)
            labels.reserveCapacity(reader.count)
            while let sample = try reader.next() {
                images.append(sample.image)
                labels.append(sample.label)
            }
        } catch {
            throw DatasetError(error)
        }
        do {
            return try DigitSource(images: images, labels: labels)
        } catch {
            throw DatasetError(.badInput, path: directory.path, "\(split.rawValue) digits: \(error.message)")
        }
    }
}
