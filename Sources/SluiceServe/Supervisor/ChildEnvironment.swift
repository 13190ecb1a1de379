/// The environment a child process may inherit: an allowlist, so a secret in the
/// operator's environment (a git token, cloud keys) never reaches a model server.
package enum ChildEnvironment {
    /// Variables passed on by name.
    static let allowedNames: Set<String> = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"]

    /// Whether `name` may be inherited: an allowed name or a locale category (`LC_*`).
    static func isAllowed(_ name: String) -> Bool {
        allowedNames.contains(name) || name.hasPrefix("LC_")
    }

    /// The allowed part of `environment`.
    package static func inherited(from environment: [String: String]) -> [String: String] {
        environment.filter { isAllowed($0.key) }
    }

    /// A model server's whole environment: the allowed part of `environment`, then the
    /// runtime's own `env` from the operator's config, then what Sluice sets.
    static func modelServer(
        inheriting environment: [String: String],
        runtime: [String: String],
        model: String,
        version: String,
        port: Int,
        grpcPort: Int? = nil
    ) -> [String: String] {
        var result = inherited(from: environment)
        for (name, value) in runtime { result[name] = value }
        result["SLUICE_MODEL"] = model
        result["SLUICE_VERSION"] = version
        result["SLUICE_PORT"] = String(port)
        if let grpcPort { result["SLUICE_GRPC_PORT"] = String(grpcPort) }
        return result
    }
}
