#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The checkpoint's safetensors files, and reading a checkpoint folder back.
extension Checkpoint {
    /// `model.safetensors`: the parameters only, under their `nn.Sequential` names, with
    /// `{"format": "pt"}` as Hugging Face's `save_file` writes it.
    public var modelFile: SafeTensors {
        SafeTensors(tensors: state.layout.tensors.map { .init(name: $0.name, shape: $0.shape, values: Array(state.parameters[$0.range])) },
                    metadata: ["format": "pt"])
    }

    /// `optimizer.safetensors`: each state buffer per parameter (`exp_avg.0.weight`, …) and, for
    /// Adam, `step` as the float tensor PyTorch's `Adam` keeps (the exact count is the trainer
    /// state's `step`).
    public var optimizerFile: SafeTensors {
        var tensors: [SafeTensors.Tensor] = []
        for (index, stateName) in Self.stateNames(configuration.optimizer.kind).enumerated() {
            let buffer = index == 0 ? state.firstMoment : state.secondMoment
            for (name, range, shape) in state.layout.tensors {
                tensors.append(.init(name: "\(stateName).\(name)", shape: shape, values: Array(buffer[range])))
            }
        }
        if configuration.optimizer.kind == .adam { tensors.append(.init(name: "step", shape: [], values: [Float(state.step)])) }
        return SafeTensors(tensors: tensors, metadata: ["format": "pt", "optimizer": configuration.optimizer.kind.rawValue])
    }

    /// Reads a checkpoint folder (format 2): the trainer state first, then each safetensors file's
    /// tensors checked against the model it describes before the model is allocated.
    init(folder: String) throws(CheckpointError) {
        let statePath = Path.joined(folder, CheckpointFolder.trainerStateFile)
        // Checked before reading and again after, should the file have grown in between.
        var size = try Self.fileBytes(statePath)
        let stateBytes = size <= Self.maximumTrainerStateBytes ? try Self.contents(statePath) : Data()
        size = max(size, stateBytes.count)
        guard size <= Self.maximumTrainerStateBytes else {
            throw .badMetadata(path: statePath, field: "(file)",
                               reason: "\(size) bytes, more than the \(Self.maximumTrainerStateBytes) a trainer state may have (thinned writes a few kB)")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(stateBytes) } catch {
            throw .badMetadata(path: statePath, field: "(file)", reason: "not valid JSON (\(error))")
        }
        let position = try Self.position(trainerState: json, path: statePath)
        let configuration = position.configuration
        let layout = try Self.layout(configuration.model, path: statePath)

        let modelPath = Path.joined(folder, CheckpointFolder.modelFile)
        let model = try SafeTensors(decoding: Self.contents(modelPath), path: modelPath)
        try Self.check(model, against: layout.tensors.map { ($0.name, $0.shape) }, path: modelPath)
        let optimizerPath = Path.joined(folder, CheckpointFolder.optimizerFile)
        let optimizer = try SafeTensors(decoding: Self.contents(optimizerPath), path: optimizerPath)
        let names = Self.stateNames(configuration.optimizer.kind)
        var expected = names.flatMap { state in layout.tensors.map { ("\(state).\($0.name)", $0.shape) } }
        if configuration.optimizer.kind == .adam { expected.append(("step", [])) }
        try Self.check(optimizer, against: expected, path: optimizerPath)
        if let step = optimizer["step"], step.values != [Float(position.step)] {
            throw .badMetadata(path: optimizerPath, field: "step", reason: "\(step.values[0]), but the trainer state says \(position.step)")
        }

        let state = try Self.state(layout: layout, configuration: configuration, step: position.step, path: folder) { name in
            model[name]?.values ?? optimizer[name]!.values
        }
        self.init(configuration: configuration, state: state, epoch: position.epoch, stepInEpoch: position.stepInEpoch,
                  epochLossSum: position.epochLossSum, dataIdentity: position.dataIdentity)
    }

    /// The parameter layout of `model`, once its parameter count is known not to overflow.
    static func layout(_ model: ModelConfiguration, path: String) throws(CheckpointError) -> ParameterLayout {
        guard ParameterLayout.parameterCount(widths: model.layers) != nil else {
            throw .tooLarge(path: path, reason: .overflow(what: "layers \(model.layers.map(String.init).joined(separator: ","))"))
        }
        return ParameterLayout(widths: model.layers)
    }

    /// Checks that `file` holds exactly the tensors `expected`, each with its shape: a missing
    /// one, a wrong shape or one the model has no place for is named.
    static func check(_ file: SafeTensors, against expected: [(name: String, shape: [Int])], path: String) throws(CheckpointError) {
        for (name, shape) in expected {
            guard let tensor = file[name] else { throw .missingTensor(path: path, name: name) }
            guard tensor.shape == shape else { throw .shapeMismatch(path: path, name: name, found: tensor.shape, expected: shape) }
        }
        let names = Set(expected.map(\.name))
        if let extra = file.tensors.first(where: { !names.contains($0.name) }) {
            throw .unexpectedTensor(path: path, name: extra.name)
        }
    }

    /// A `TrainingState` filled from checked tensors (`values(name)`: `0.weight`, `exp_avg.0.weight`,
    /// …), after the memory it takes was found to be there.
    static func state(layout: ParameterLayout, configuration: TrainingConfiguration, step: Int, path: String,
                      values: (String) -> [Float]) throws(CheckpointError) -> TrainingState {
        let names = stateNames(configuration.optimizer.kind)
        let what = "the model of \(path) (\(layout.count) parameters, \(2 + names.count) buffers)"
        do {
            try MemoryBudget.require(try MemoryBudget.bytes([layout.count, 2 + names.count], elementBytes: 4, for: what), for: what)
        } catch { throw .tooLarge(path: path, reason: error) }
        func buffer(_ prefix: String) -> [Float] {
            var buffer: [Float] = []
            buffer.reserveCapacity(layout.count)
            for tensor in layout.tensors { buffer += values(prefix + tensor.name) }
            return buffer
        }
        return TrainingState(layout: layout, parameters: buffer(""), firstMoment: names.count >= 1 ? buffer(names[0] + ".") : [],
                             secondMoment: names.count >= 2 ? buffer(names[1] + ".") : [], step: step)
    }
}

extension TrainingState {
    /// A state read from a checkpoint (the gradient buffer starts at zero).
    init(layout: ParameterLayout, parameters: [Float], firstMoment: [Float], secondMoment: [Float], step: Int) {
        precondition(parameters.count == layout.count, "TrainingState: \(parameters.count) parameters for a layout of \(layout.count)")
        self.layout = layout
        self.parameters = parameters
        self.gradient = [Float](repeating: 0, count: layout.count)
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.step = step
    }
}
