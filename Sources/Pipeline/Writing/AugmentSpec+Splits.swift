import Imaging
import Shards

extension AugmentSpec {
    /// Refuses the spec for `split` when it cannot apply to the split's `height`×`width` images:
    /// a usage error naming the split and the size, raised before anything is written. Convert
    /// and synth both ask here.
    func check(split: String, height: Int, width: Int) throws(DatasetError) {
        if let problem = problem(height: height, width: width) {
            throw DatasetError(.usage, "--augment cannot apply to split \(split): \(problem)")
        }
    }
}
