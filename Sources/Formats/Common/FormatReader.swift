/// A single-pass, streaming reader of one raw dataset file: `next()` reads and returns one
/// sample, `nil` at a clean end of input, and throws `FormatError` for anything else.
///
/// Readers hold an open file and at most one record plus I/O buffers, whatever the file's size.
/// They are also `Sequence`s of `Result`s, for `for`-loops; iteration stops after the first
/// failure, which is yielded as `.failure` rather than dropped:
///
/// ```swift
/// let reader = try MNISTReader(images: imagesURL, labels: labelsURL)
/// while let sample = try reader.next() { … }
/// ```
public protocol FormatReader: AnyObject, Sequence where Element == Result<Sample, FormatError> {
    associatedtype Sample
    /// The next sample; `nil` once the input has ended cleanly (and on every call after that).
    func next() throws(FormatError) -> Sample?
}

extension FormatReader {
    public func makeIterator() -> FormatReaderIterator<Self> {
        FormatReaderIterator(reader: self)
    }
}

/// Yields `.success` per sample, then either ends or yields one `.failure` and ends.
public struct FormatReaderIterator<Reader: FormatReader>: IteratorProtocol {
    let reader: Reader
    var finished = false

    init(reader: Reader) {
        self.reader = reader
    }

    public mutating func next() -> Result<Reader.Sample, FormatError>? {
        guard !finished else { return nil }
        do {
            if let sample = try reader.next() { return .success(sample) }
            finished = true
            return nil
        } catch {
            finished = true
            return .failure(error)
        }
    }
}
