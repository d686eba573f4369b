import Foundation

extension Model {
    /// The model's parameters (and optionally the optimizer's state) as a checkpoint.
    ///
    /// Tensors: every parameter under its own name (`conv1/kernel`, `bn1/moving_mean`, …) and
    /// each optimizer slot as `optimizer/<slot>/<parameter>`. Metadata: `model`, `input_shape`
    /// ("28,28,1"), `step`, `optimizer`, `optimizer.step`, `optimizer.state_keys`, and the
    /// generator state of each dropout layer as `rng/<layer>`, so a resumed run continues
    /// exactly as the uninterrupted one would.
    func checkpoint(optimizer: (any Optimizer)? = nil) -> Checkpoint {
        var c = Checkpoint()
        for p in parameters { c.tensors[p.name] = p.value }
        c.metadata["model"] = name
        c.metadata["input_shape"] = inputShape.map(String.init).joined(separator: ",")
        c.metadata["format"] = "shardkit-trainer/1"
        for case let layer as any StatefulLayer in allLayers { c.metadata["rng/\(layer.name)"] = layer.stateText }
        if let optimizer {
            let state = optimizer.state()
            for (key, t) in state { c.tensors["optimizer/\(key)"] = t }
            c.metadata["step"] = String(optimizer.step)
            c.metadata["optimizer"] = optimizer.kind
            c.metadata["optimizer.step"] = String(optimizer.step)
            c.metadata["optimizer.state_keys"] = state.keys.sorted().joined(separator: ",")
        }
        return c
    }

    /// Saves parameters, optimizer state and generator states to a safetensors file.
    func save(to url: URL, optimizer: (any Optimizer)? = nil) throws {
        try checkpoint(optimizer: optimizer).write(to: url)
    }

    /// Restores what `save(to:optimizer:)` wrote. Every parameter must be present with its shape;
    /// the optimizer (if given) must be of the saved kind. Returns the checkpoint's metadata.
    @discardableResult
    func load(from url: URL, optimizer: (any Optimizer)? = nil) throws -> [String: String] {
        let c = try Checkpoint.read(from: url)
        try restore(from: c, optimizer: optimizer, path: url.path)
        return c.metadata
    }

    /// Restores from an in-memory checkpoint (see `load(from:optimizer:)`).
    func restore(from c: Checkpoint, optimizer: (any Optimizer)? = nil, path: String = "<memory>") throws {
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, offset: nil, message: message) }
        if let saved = c.metadata["model"], saved != name { throw fail("expected model \(name), found \(saved)") }
        for p in parameters {
            guard let t = c.tensors[p.name] else { throw fail("missing tensor \(p.name)") }
            guard t.shape == p.value.shape else {
                throw fail("tensor \(p.name): expected shape \(p.value.shape), found \(t.shape)")
            }
        }
        for p in parameters { p.value = c.tensors[p.name]! }
        for case let layer as any StatefulLayer in allLayers {
            if let text = c.metadata["rng/\(layer.name)"], !layer.restoreState(text) {
                throw fail("malformed generator state for \(layer.name): \(text)")
            }
        }
        if let optimizer {
            guard let kind = c.metadata["optimizer"] else { throw fail("no optimizer state saved") }
            guard kind == optimizer.kind else { throw fail("expected optimizer \(optimizer.kind), found \(kind)") }
            guard let step = c.metadata["optimizer.step"].flatMap({ Int($0) }) else {
                throw fail("missing optimizer.step")
            }
            var state: [String: Tensor] = [:]
            for (key, t) in c.tensors where key.hasPrefix("optimizer/") { state[String(key.dropFirst(10))] = t }
            optimizer.restore(state: state, step: step)
        }
    }
}
