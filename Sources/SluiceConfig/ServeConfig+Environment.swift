extension ServeConfig {
    /// The environment variables this config reads secrets from (`tokenEnv` fields), which
    /// a parent such as `sluice up` must pass on to `sluice serve` beside the allowlist.
    ///
    /// Found by walking every stored property, so a token source added to the config later
    /// is passed on without a second list to keep in step.
    public var environmentNames: Set<String> {
        var names: Set<String> = []
        func walk(_ value: Any) {
            if let source = value as? TokenSource {
                if case .environment(let name) = source { names.insert(name) }
                return
            }
            for child in Mirror(reflecting: value).children { walk(child.value) }
        }
        walk(self)
        return names
    }
}
