import Pipeline
import Shards
import Testing

/// The formats `convert` knows come from one registry of recipes: their words, defaults and
/// format-specific options as a user sees them.
@Suite struct FormatRegistryTests {
    /// Every word, in help order (a recipe's words together: MNIST's four, CIFAR's two).
    static let words = [
        "mnist", "fashion-mnist", "kmnist", "emnist", "cifar10", "cifar100", "svhn", "hwdb", "svhn-cropped", "folder",
    ]

    @Test func everyRecipeWordIsAFormatInHelpOrder() {
        #expect(DatasetFormat.allCases.map(\.rawValue) == Self.words)
        let members: [DatasetFormat] = [
            .mnist, .fashionMNIST, .kmnist, .emnist, .cifar10, .cifar100, .svhn, .hwdb, .svhnCropped, .folder,
        ]
        #expect(members == DatasetFormat.allCases)
    }

    @Test func aWordParsesToItsFormatAndNothingElseParses() {
        for format in DatasetFormat.allCases {
            #expect(DatasetFormat(rawValue: format.rawValue) == format)
        }
        for unknown in ["", "MNIST", "svhn_cropped", "cifar", "no-such-format"] {
            #expect(DatasetFormat(rawValue: unknown) == nil, "\(unknown)")
        }
    }

    @Test func defaultsDifferOnlyForSVHN() {
        for format in DatasetFormat.allCases {
            let svhn = format == .svhn
            #expect(format.defaultImageEncoding == (svhn ? .raw : .png), "\(format)")
            #expect(format.defaultValidationFraction == (svhn ? 0.1 : 0), "\(format)")
        }
    }

    @Test func formatSpecificOptionsBelongToTheirFormats() {
        let expected: [FormatOption: [String]] = [
            .skipMissing: ["svhn"], .includeExtra: ["svhn"], .validationFraction: ["svhn", "folder"],
            .size: ["hwdb", "folder"], .channels: ["folder"], .skipCorrupt: ["folder"],
            .transpose: ["mnist", "fashion-mnist", "kmnist", "emnist"], .subset: ["emnist"], .dictionary: ["hwdb"],
        ]
        #expect(Set(expected.keys) == Set(FormatOption.allCases))
        for option in FormatOption.allCases {
            #expect(DatasetFormat.allCases.filter { $0.takes(option) }.map(\.rawValue) == expected[option], "\(option)")
        }
    }

    @Test func everyFormatHasAnInputRowAndAnExampleOrSharesMNISTs() {
        for format in DatasetFormat.allCases {
            #expect(!format.inputHelp.isEmpty, "\(format)")
            for example in format.examples {
                #expect(example.hasPrefix("shardkit convert \(format.rawValue) "), "\(example)")
                #expect(example.count < 78, "\(example)")
            }
        }
        let withoutExample = DatasetFormat.allCases.filter(\.examples.isEmpty)
        #expect(withoutExample == [.fashionMNIST, .kmnist])
        #expect(withoutExample.allSatisfy { $0.inputHelp == "as mnist" })
    }
}
