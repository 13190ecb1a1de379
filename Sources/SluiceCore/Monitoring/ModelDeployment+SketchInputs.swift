extension ModelDeployment {
    /// The input features the data plane must sketch for this model's monitors and
    /// analysis checks: the inputs they name, plus every feature of a baseline that an
    /// input-drift monitor or check compares with all its inputs (`inputs` empty).
    ///
    /// `names` is known from the manifest alone; the features of `baselines` (repository
    /// paths) are read by the caller. An input-drift check against `stable` with no
    /// `inputs` names nothing: only named features are ever sketched, so that a caller's
    /// made-up names cannot take their place.
    public var sketchedInputs: (names: Set<String>, baselines: Set<String>) {
        var names: Set<String> = []
        var baselines: Set<String> = []
        for monitor in monitors where monitor.metric == .inputDrift {
            if !monitor.inputs.isEmpty {
                names.formUnion(monitor.inputs)
            } else if let reference = monitor.reference {
                baselines.insert(reference)
            }
        }
        for check in rollout?.analysis?.checks ?? [] where check.metric == .inputDrift {
            if !check.inputs.isEmpty {
                names.formUnion(check.inputs)
            } else if check.against == .reference, let reference = check.reference {
                baselines.insert(reference)
            }
        }
        return (names, baselines)
    }
}
