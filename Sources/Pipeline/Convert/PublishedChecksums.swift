/// The published checksum of one official download: a converted input file of the same name is
/// compared with it (`InputSearch.metadata`), so a modified or partial download is noticed.
struct PublishedChecksum {
    /// The dataset whose file it is, e.g. "MNIST".
    var dataset: String
    var sha256: String
    /// The size in bytes, when the source gives it.
    var size: Int?
    /// Who publishes it.
    var source: String

    /// Whether a file with this SHA-256 and size is this download.
    func matches(sha256 other: String, size bytes: Int) -> Bool {
        sha256 == other && (size.map { $0 == bytes } ?? true)
    }

    /// Official files by name; several datasets ship files of the same name (MNIST,
    /// Fashion-MNIST and KMNIST all ship `train-images-idx3-ubyte.gz`), and a file matching any
    /// of them passes. The SHA-256s and sizes of the idx files, CIFAR and SVHN format 2 are the
    /// ones TensorFlow Datasets verifies its downloads against (`url_checksums/{mnist,
    /// fashion_mnist,kmnist,cifar10,cifar100,svhn_cropped}.txt`); SVHN format 1's `train.tar.gz`
    /// and `test.tar.gz` are those docTR verifies (`doctr/datasets/svhn.py`, no size given).
    /// Nobody publishes checksums for SVHN's `extra.tar.gz` or CASIA's zips.
    static let known: [String: [PublishedChecksum]] = {
        let tfds = "TensorFlow Datasets"
        let entries: [(String, String, Int?, String, String)] = [
            (
                "train-images-idx3-ubyte.gz", "MNIST", 9_912_422,
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", tfds
            ),
            (
                "train-labels-idx1-ubyte.gz", "MNIST", 28_881,
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", tfds
            ),
            (
                "t10k-images-idx3-ubyte.gz", "MNIST", 1_648_877,
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", tfds
            ),
            (
                "t10k-labels-idx1-ubyte.gz", "MNIST", 4_542,
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", tfds
            ),
            (
                "train-images-idx3-ubyte.gz", "Fashion-MNIST", 26_421_880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", tfds
            ),
            (
                "train-labels-idx1-ubyte.gz", "Fashion-MNIST", 29_515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", tfds
            ),
            (
                "t10k-images-idx3-ubyte.gz", "Fashion-MNIST", 4_422_102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", tfds
            ),
            (
                "t10k-labels-idx1-ubyte.gz", "Fashion-MNIST", 5_148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", tfds
            ),
            (
                "train-images-idx3-ubyte.gz", "KMNIST", 18_165_135,
                "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4", tfds
            ),
            (
                "train-labels-idx1-ubyte.gz", "KMNIST", 29_497,
                "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17", tfds
            ),
            (
                "t10k-images-idx3-ubyte.gz", "KMNIST", 3_041_136,
                "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5", tfds
            ),
            (
                "t10k-labels-idx1-ubyte.gz", "KMNIST", 5_120,
                "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c", tfds
            ),
            (
                "cifar-10-binary.tar.gz", "CIFAR-10", 170_052_171,
                "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", tfds
            ),
            (
                "cifar-100-binary.tar.gz", "CIFAR-100", 168_513_733,
                "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", tfds
            ),
            (
                "train_32x32.mat", "SVHN", 182_040_794,
                "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8", tfds
            ),
            (
                "test_32x32.mat", "SVHN", 64_275_384,
                "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b", tfds
            ),
            (
                "extra_32x32.mat", "SVHN", 1_329_278_602,
                "a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3", tfds
            ),
            ("train.tar.gz", "SVHN", nil, "4b17bb33b6cd8f963493168f80143da956f28ec406cc12f8e5745a9f91a51898", "docTR"),
            ("test.tar.gz", "SVHN", nil, "57ac9ceb530e4aa85b55d991be8fc49c695b3d71c6f6a88afea86549efde7fb5", "docTR"),
        ]
        return Dictionary(grouping: entries, by: \.0).mapValues { files in
            files.map { PublishedChecksum(dataset: $0.1, sha256: $0.3, size: $0.2, source: $0.4) }
        }
    }()
}
