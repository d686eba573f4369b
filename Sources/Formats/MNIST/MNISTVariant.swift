/// The datasets published in MNIST's idx format, and what the files alone do not say: class
/// names, how labels are numbered, and whether images are stored transposed.
public enum MNISTVariant: Sendable, Equatable {
    /// MNIST's handwritten digits.
    case mnist
    /// Fashion-MNIST: Zalando's article images.
    case fashion
    /// Kuzushiji-MNIST: one cursive hiragana for each row of the kana table.
    case kmnist
    /// One of EMNIST's six sets.
    case emnist(EMNISTSubset)

    /// The labels' names (label i is `classNames[i]`), or nil for MNIST, whose labels are the
    /// digits themselves.
    public var classNames: [String]? {
        switch self {
        case .mnist: nil
        case .fashion:
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .kmnist:
            // The characters of the authors' kmnist_classmap.csv (U+304A … U+3092), each with its
            // romanization (TFDS names the classes by the romanization alone).
            zip(
                ["お", "き", "す", "つ", "な", "は", "ま", "や", "れ", "を"],
                ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
            )
            .map { "\($0) (\($1))" }
        case .emnist(let subset): subset.classNames
        }
    }

    /// The number of classes.
    public var classCount: Int { classNames?.count ?? 10 }

    /// What is subtracted from a stored label to give the class: 1 for EMNIST letters, whose files
    /// number the letters 1–26, so that classes run from 0 as a ClassLabel's must.
    public var labelOffset: Int { self == .emnist(.letters) ? 1 : 0 }

    /// Whether the files store every image transposed (EMNIST: the NIST images were written
    /// column by column), so that turning them upright takes a transpose.
    public var storesTransposed: Bool {
        if case .emnist = self { return true }
        return false
    }

    /// The prefix of the file names in the authors' download: `emnist-balanced-` for EMNIST's
    /// `emnist-balanced-train-images-idx3-ubyte.gz`; nil where the names carry none.
    public var filePrefix: String? {
        if case .emnist(let subset) = self { return "emnist-\(subset.rawValue)-" }
        return nil
    }
}

/// EMNIST's six sets ("splits" in the EMNIST paper, "configs" in TFDS), all shipped in one
/// folder, told apart by the file name prefix `emnist-<set>-`.
public enum EMNISTSubset: String, Sendable, CaseIterable {
    /// 62 classes: digits, upper case, lower case.
    case byclass
    /// 47 classes: the 15 letters whose cases look alike merged into the upper case.
    case bymerge
    /// 47 classes as bymerge, with as many images in each.
    case balanced
    /// 26 classes, upper and lower case merged; the files number them 1–26.
    case letters
    /// 10 digits.
    case digits
    /// 10 digits, as many as MNIST.
    case mnist

    /// The class names in label order, after the authors' `emnist-<set>-mapping.txt` (label →
    /// ASCII code; letters lists both cases).
    public var classNames: [String] {
        let digits = (0...9).map(String.init)
        let upper = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
        switch self {
        case .byclass: return digits + upper + upper.map { $0.lowercased() }
        // The lower-case letters that keep a class of their own: those that do not look like
        // their upper case.
        case .bymerge, .balanced: return digits + upper + ["a", "b", "d", "e", "f", "g", "h", "n", "q", "r", "t"]
        case .letters: return upper.map { "\($0)/\($0.lowercased())" }
        case .digits, .mnist: return digits
        }
    }
}
