public import Foundation

/// Class names shipped beside the CIFAR binaries: `batches.meta.txt` (CIFAR-10), or
/// `fine_label_names.txt` and `coarse_label_names.txt` (CIFAR-100). One name per line; empty
/// lines at the end (the real `batches.meta.txt` ends with one) are dropped.
public struct CIFARLabelNames: Sendable, Equatable {
    /// CIFAR-10: the 10 names. CIFAR-100: the 100 fine names.
    public var names: [String]
    /// CIFAR-100: the 20 coarse names; `nil` for CIFAR-10.
    public var coarseNames: [String]?

    /// The names in `directory`, or `nil` when the name files are not there. A file with the
    /// wrong number of names is a `.countMismatch` error.
    public static func load(from directory: URL, variant: CIFARVariant) throws(FormatError) -> CIFARLabelNames? {
        try load(variant: variant) { name in
            let url = directory.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: url.path) ? InputFile(disk: url) : nil
        }
    }

    /// The names from the files `file` finds by name (on disk or inside an archive), or `nil`
    /// when it finds no name file.
    public static func load(variant: CIFARVariant, file: (String) -> InputFile?) throws(FormatError)
        -> CIFARLabelNames?
    {
        switch variant {
        case .cifar10:
            guard let names = try readNames(file("batches.meta.txt"), count: 10) else { return nil }
            return CIFARLabelNames(names: names, coarseNames: nil)
        case .cifar100:
            guard let fine = try readNames(file("fine_label_names.txt"), count: 100) else { return nil }
            let coarse = try readNames(file("coarse_label_names.txt"), count: 20)
            return CIFARLabelNames(names: fine, coarseNames: coarse)
        }
    }

    static func readNames(_ input: InputFile?, count: Int) throws(FormatError) -> [String]? {
        guard let input else { return nil }
        guard let text = String(validating: try input.contents(), as: UTF8.self) else {
            throw FormatError(.decode, path: input.path, "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count == count else {
            throw FormatError(
                .countMismatch, path: input.path, "wrong number of class names", expected: "\(count)",
                found: "\(lines.count)")
        }
        if let blank = lines.firstIndex(where: \.isEmpty) {
            throw FormatError(.badRecord, path: input.path, record: blank, "empty class name")
        }
        return lines
    }
}
