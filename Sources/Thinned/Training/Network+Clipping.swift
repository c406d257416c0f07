import CKernels

extension Network {
    /// ‖∇ᵢ‖ of the sample in row `r` after backward, without materialising ∇ᵢ: its weight
    /// gradient in layer l is the outer product δᵢˡ z̃ᵢˡᵀ and its bias gradient δᵢˡ, so
    /// ‖∇ᵢ‖² = Σₗ ‖δᵢˡ‖² (‖z̃ᵢˡ‖² + 1) (Goodfellow, "Efficient per-example gradient computations",
    /// arXiv:1510.01799, 2015). Sums in Double.
    /// - Complexity: O(Σₗ (inputsₗ + outputsₗ)).
    func gradientNorm(_ workspace: Workspace, row r: Int) -> Double {
        var squared = 0.0
        // By index: an unoptimised build allocates `enumerated()`'s iterator, and this runs per sample.
        for l in layout.layers.indices {
            let layer = layout.layers[l]
            let delta = Self.squaredNorm(workspace.delta(layer: l) + r * layer.outputs, count: layer.outputs)
            let input = Self.squaredNorm(workspace.inputs[l] + r * layer.inputs, count: layer.inputs)
            squared += delta * (input + 1)
        }
        return squared.squareRoot()
    }

    /// Multiplies every delta of the sample in row `r` by `c`: since each of its gradients is
    /// linear in its deltas, the gradient products then sum cᵢ ∇ᵢ.
    func scaleDeltas(_ workspace: Workspace, row r: Int, by c: Float) {
        guard c != 1 else { return }
        for l in layout.layers.indices {
            let layer = layout.layers[l]
            let delta = workspace.delta(layer: l) + r * layer.outputs
            for j in 0..<layer.outputs { delta[j] *= c }
        }
    }

    /// Σⱼ x[j]² in Double (`thinned_squared_norm`: eight lanes, the same bits on every path).
    static func squaredNorm(_ x: UnsafePointer<Float>, count: Int) -> Double {
        thinned_squared_norm(x, count)
    }
}
