import Foundation
import TestSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// A small two-head network exercising every layer type, stride 2 and both paddings.
func tinyModel(seed: UInt64 = 1, dropout: Bool = false) -> Model {
    useTwoWorkers()
    var trunk: [any Layer] = [
        Conv2D(
            name: "conv1", inChannels: 2, filters: 4, kernelSize: 3, stride: 2, padding: .same, useBias: false,
            seed: seed),
        BatchNorm(name: "bn1", channels: 4),
        ReLU(name: "relu1"),
        Conv2D(
            name: "conv2", inChannels: 4, filters: 5, kernelSize: 3, padding: .same, activation: .relu, seed: seed &+ 1),
        MaxPool2D(name: "pool", padding: .same),
        Flatten(name: "flatten"),
        Dense(name: "fc", inputSize: 2 * 2 * 5, outputSize: 12, activation: .relu, initializer: .he, seed: seed &+ 2),
    ]
    if dropout { trunk.append(Dropout(name: "drop", rate: 0.25, seed: seed &+ 3)) }
    return Model(
        name: "tiny", inputShape: [7, 7, 2], trunk: trunk,
        heads: [
            Model.Head(
                name: "a", layers: [Dense(name: "a", inputSize: 12, outputSize: 3, seed: seed &+ 4)], classes: 3),
            Model.Head(
                name: "b", layers: [Dense(name: "b", inputSize: 12, outputSize: 4, seed: seed &+ 5)], classes: 4),
        ])
}

func tinyBatch(_ seed: UInt64, n: Int = 6) -> (Tensor, [[Int32]]) {
    var rng = TestRandom(seed)
    let x = rng.tensor([n, 7, 7, 2])
    let a = (0..<n).map { _ in Int32(rng.next() % 3) }
    let b = (0..<n).map { _ in Int32(rng.next() % 4) }
    return (x, [a, b])
}

@Suite("Model")
struct ModelTests {
    @Test("Whole-model gradient (two heads, summed loss) matches finite differences")
    func modelGradient() {
        let model = tinyModel()
        let (x, labels) = tinyBatch(3)
        model.computeGradients(images: x, labels: labels)
        let h: Float = 1e-2
        var checked = 0
        for p in model.parameters where p.isTrainable {
            let analytic = p.gradient
            // Every element of small tensors, a spread of elements of larger ones.
            for j in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 12)) {
                let saved = p.value.scalars[j]
                p.value.scalars[j] = saved + h
                let plus = Double(model.loss(images: x, labels: labels, training: true))
                p.value.scalars[j] = saved - h
                let minus = Double(model.loss(images: x, labels: labels, training: true))
                p.value.scalars[j] = saved
                let numeric = (plus - minus) / (2 * Double(h))
                // ReLU kinks can be crossed by a step of h; allow a looser bound here.
                #expect(abs(Double(analytic.scalars[j]) - numeric) <= 5e-3 + 5e-2 * abs(numeric), "\(p.name)[\(j)]")
                checked += 1
            }
        }
        #expect(checked > 60)
    }

    @Test("A tiny model overfits a small random batch to near-zero loss")
    func overfit() {
        let model = tinyModel(seed: 5)
        let (x, labels) = tinyBatch(8, n: 8)
        let adam = Adam(learningRate: .constant(0.02))
        let first = model.trainStep(images: x, labels: labels, optimizer: adam)
        var loss = first
        for _ in 0..<150 { loss = model.trainStep(images: x, labels: labels, optimizer: adam) }
        #expect(first > 1.5)
        #expect(loss < 0.02, "loss \(first) → \(loss)")
    }

    @Test("Training is deterministic for equal seeds")
    func deterministic() {
        func run() -> [Float] {
            let model = tinyModel(seed: 9, dropout: true)
            let sgd = SGD(learningRate: .constant(0.05), momentum: 0.9)
            return (0..<5).map { i in
                let (x, y) = tinyBatch(UInt64(i))
                return model.trainStep(images: x, labels: y, optimizer: sgd)
            }
        }
        #expect(run() == run())
    }

    @Test("Built-in models have the anchors' shapes and parameter counts")
    func builtins() {
        func count(_ m: Model) -> Int { m.parameters.filter(\.isTrainable).map(\.value.count).reduce(0, +) }
        // Keras' model.count_params() for tf_train_mnist.py is 3,274,634.
        #expect(count(.mnist()) == 3_274_634)
        // tf_train_svhn.py reports 6,773,262 including 4·(48+64+128) batch-norm entries, half of them non-trainable.
        let digits = Model.digits()
        #expect(digits.parameters.map(\.value.count).reduce(0, +) == 6_773_262)
        #expect(digits.heads.map(\.classes) == [7, 11, 11, 11, 11, 11])
        let x = Tensor(shape: [2, 54, 54, 3], repeating: 0.5)
        #expect(digits.predict(x).map(\.shape) == [[2, 7]] + Array(repeating: [2, 11], count: 5))
        #expect(Model.cifar().predict(Tensor(shape: [1, 24, 24, 3])).map(\.shape) == [[1, 10]])
        #expect(
            Model.hwdb(classes: 50, inputShape: [32, 32, 1]).predict(Tensor(shape: [1, 32, 32, 1])).map(\.shape) == [
                [1, 50]
            ])
    }
}

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("safetensors bytes: header length, JSON header, aligned data; decode inverts encode")
    func format() throws {
        let c = Checkpoint(
            tensors: [
                "b": Tensor(shape: [2], scalars: [1, -2]), "a/w": Tensor(shape: [1, 3], scalars: [0.5, 3, 4]),
            ],
            metadata: ["model": "x \"quoted\"", "step": "3"])
        let bytes = c.encoded()
        let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
        #expect(n % 8 == 0 && bytes.count == 8 + n + 20)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.contains("\"a/w\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[0,12]}"))
        #expect(header.contains("\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}"))
        // 0.5 as little-endian float32 right after the header.
        #expect(Array(bytes[(8 + n)..<(12 + n)]) == [0, 0, 0, 0x3F])
        #expect(try Checkpoint.decode(bytes) == c)
    }

    @Test("Corrupt files give precise errors")
    func errors() {
        var bytes = Checkpoint(tensors: ["w": Tensor(shape: [4])]).encoded()
        #expect(throws: CheckpointError.self) { try Checkpoint.decode(Array(bytes.prefix(5))) }
        bytes.removeLast()
        do {
            _ = try Checkpoint.decode(bytes, path: "x.safetensors")
            Issue.record("truncated data accepted")
        } catch let error as CheckpointError {
            #expect(error.description.contains("x.safetensors") && error.description.contains("w"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test(
        "Save, load and resume: continuing from a checkpoint equals uninterrupted training", arguments: ["adam", "sgd"])
    func resume(kind: String) throws {
        func makeOptimizer() -> any Optimizer {
            kind == "adam"
                ? Adam(learningRate: LearningRateSchedule(initial: 0.01, decayRate: 0.9, decaySteps: 2))
                : SGD(learningRate: .constant(0.05), momentum: 0.9)
        }
        let dir = try FixturePaths.makeScratchDirectory("trainer-ckpt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")

        let a = tinyModel(seed: 2, dropout: true)
        let optA = makeOptimizer()
        for i in 0..<3 {
            let (x, y) = tinyBatch(UInt64(i))
            a.trainStep(images: x, labels: y, optimizer: optA)
        }
        try a.save(to: url, optimizer: optA)
        var lossesA: [Float] = []
        for i in 3..<6 {
            let (x, y) = tinyBatch(UInt64(i))
            lossesA.append(a.trainStep(images: x, labels: y, optimizer: optA))
        }

        let b = tinyModel(seed: 77, dropout: true)  // different initial weights, overwritten by load
        let optB = makeOptimizer()
        let meta = try b.load(from: url, optimizer: optB)
        #expect(meta["model"] == "tiny" && meta["step"] == "3" && meta["optimizer"] == kind)
        #expect(meta["input_shape"] == "7,7,2")
        var lossesB: [Float] = []
        for i in 3..<6 {
            let (x, y) = tinyBatch(UInt64(i))
            lossesB.append(b.trainStep(images: x, labels: y, optimizer: optB))
        }
        #expect(lossesA == lossesB)
        for (p, q) in zip(a.parameters, b.parameters) { #expect(p.value == q.value, "\(p.name)") }
    }

    @Test("Loading into a different architecture fails with the tensor's name")
    func mismatch() throws {
        let c = tinyModel().checkpoint()
        let other = Model.mnist()
        #expect(throws: CheckpointError.self) { try other.restore(from: c) }
    }
}
