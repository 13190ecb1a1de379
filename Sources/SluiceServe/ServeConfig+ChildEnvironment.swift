import SluiceConfig

extension ServeConfig {
    /// The environment for a `sluice serve` started by another process: the allowlist a
    /// model server may inherit, plus the variables this config reads secrets from.
    public func serveEnvironment(from environment: [String: String]) -> [String: String] {
        let wanted = environmentNames
        return environment.filter { ChildEnvironment.isAllowed($0.key) || wanted.contains($0.key) }
    }
}
