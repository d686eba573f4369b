// The Trainer module: tensors, layers, losses, optimizers, models and checkpoints.
// See ../shared/design/ARCHITECTURE.md for its place in the graph.

/// A dense float32 tensor: a shape and its contiguous row-major scalars.
///
/// Images are `[N, H, W, C]` (NHWC, channels innermost) and feature batches are `[N, F]`.
/// `Tensor` has value semantics (its storage is a copy-on-write `Array`). The training loop
/// avoids allocation by keeping one tensor per activation and gradient and writing into it
/// with `inout`: a tensor that nobody else holds is overwritten in place, never copied.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension, batch first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count` is the product of `shape`. Elements may
    /// be changed freely; changing the count breaks that invariant and is a programming error.
    public var scalars: [Float]

    /// A tensor of `shape` with every element set to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.scalars = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `scalars` (row-major; the counts must agree).
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The leading (batch) dimension.
    public var batchSize: Int { shape.first ?? 0 }

    /// Elements per batch item (the product of all but the first dimension).
    public var itemCount: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// Gives the tensor `newShape`, keeping the storage when the element count is unchanged.
    /// The contents are unspecified afterwards unless the count was unchanged.
    mutating func resize(to newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if n != scalars.count { scalars = [Float](repeating: 0, count: n) }
        shape = newShape
    }
}
