extension Network {
    /// What the fused pass multiplies the units of weight layer `l`'s input by, in the row of
    /// the sample at batch position `position`: its drawn mask when the model's masks drop units,
    /// the prediction scale for weight scaling, its enumerated mask for the exact mean.
    func unitMask(_ masks: Masks, layer l: Int, position: Int) -> UnitMask {
        switch masks {
        case .weightScaling:
            return .scale(model.predictionScale(layer: l))
        case let .enumerated(first):
            let scale = model.trainingScale(layer: l)
            guard let keeps = ExactEnsemble.keeps(model, mask: first + position, layer: l) else { return .scale(scale) }
            return .given(keeps: keeps, scale: scale)
        case let .training(step):
            return drawnUnitMask(.dropoutMask, step: step, layer: l, position: position)
        case let .monteCarlo(pass):
            return drawnUnitMask(.inference, step: pass, layer: l, position: position)
        }
    }

    /// What `unitMask` multiplies the kept units of weight layer `l`'s input by: the prediction
    /// scale for weight scaling, the training scale otherwise; the backward pass multiplies the
    /// deltas of kept units by the same.
    func unitScale(_ masks: Masks, layer l: Int) -> Float {
        if case .weightScaling = masks { return model.predictionScale(layer: l) }
        return model.trainingScale(layer: l)
    }

    /// The drawn mask over weight layer `l`'s input units of the sample at `position`, or no mask
    /// when the model's masks drop no unit.
    private func drawnUnitMask(_ purpose: RandomPurpose, step: Int, layer l: Int, position: Int) -> UnitMask {
        switch model.maskKind {
        case .units?: .drawn(DropoutMask(model, generator: generator, purpose: purpose, step: step, sample: position, layer: l))
        case .weights?, nil: .scale(1)
        }
    }

    /// The DropConnect mask of the sample at batch position `position` over weight layer `l`'s
    /// weights — kept weights multiplied by 1/q — or nil when the sample multiplies by the
    /// layer's weights as they are (masks over units, no masks, weight scaling).
    func weightMask(_ masks: Masks, layer l: Int, position: Int) -> DropoutMask? {
        guard masksWeights(masks), case let (purpose, step)? = masks.stream else { return nil }
        let q = model.connectionKeepProbability
        return DropoutMask(generator: generator, purpose: purpose, step: step, sample: position, layer: l,
                           keepProbability: q, scale: 1 / q)
    }

    /// Whether `masks` gives every sample its own weights, so that every product runs a row at a
    /// time (DropConnect's training and Monte-Carlo passes).
    func masksWeights(_ masks: Masks) -> Bool {
        guard let kind = model.maskKind, !kind.sharesWeights else { return false }
        return masks.stream != nil
    }
}
