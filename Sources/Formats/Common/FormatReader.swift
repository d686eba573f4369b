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
    /// What one record of the format decodes to (`MNISTSample`, `CIFARSample`, …).
    associatedtype Sample
    /// The next sample; `nil` once the input has ended cleanly (and on every call after that).
    func next() throws(FormatError) -> Sample?
    /// Moves past up to `count` samples without decoding them; returns how many it skipped
    /// (fewer only at the end of the input). Readers of fixed-size records seek; the default
    /// reads and drops.
    func skip(_ count: Int) throws(FormatError) -> Int
}

extension FormatReader {
    /// Reads and drops up to `count` samples with `next()`; returns how many there were.
    public func skip(_ count: Int) throws(FormatError) -> Int {
        var skipped = 0
        while skipped < count, try next() != nil { skipped += 1 }
        return skipped
    }

    /// An iterator over the reader's remaining samples (it shares the reader's position).
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

    /// `.success` with the next sample, `.failure` once with the error, then nil.
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
