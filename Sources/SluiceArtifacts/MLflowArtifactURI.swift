import SluiceCore

/// Maps the artifact URI MLflow gives for a model version to a path behind its artifact
/// proxy: `mlflow-artifacts:/1/models/m-abc/artifacts` and
/// `mlflow-artifacts://host:port/1/models/m-abc/artifacts` are `1/models/m-abc/artifacts`.
/// Any other scheme (s3://, gs://, file://) names a store the proxy does not serve.
enum MLflowArtifactURI {
    static func proxyPath(_ uri: String, what: String) throws -> String {
        let scheme = "mlflow-artifacts:"
        guard uri.hasPrefix(scheme) else {
            throw ArtifactFetchError(.unsupported, """
                \(what): the version's files are at \(ArtifactFetchError.printable(ArtifactRedaction.display(uri))), \
                which the MLflow artifact proxy does not serve; run the tracking server with its artifact proxy \
                (mlflow server --artifacts-destination …, the default serve-artifacts mode)
                """)
        }
        var rest = Substring(uri.dropFirst(scheme.count))
        if rest.hasPrefix("//") {
            // mlflow-artifacts://host:port/path: the authority names the same server.
            rest = rest.dropFirst(2)
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? ""
        }
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        return try checked(String(rest), uri: uri, what: what)
    }

    private static func checked(_ path: String, uri: String, what: String) throws -> String {
        guard !path.isEmpty, (try? ResolvedArtifact.File.checkedPath(path)) != nil else {
            throw ArtifactFetchError(.unsafePath, "\(what): the MLflow server gave the artifact URI '\(ArtifactFetchError.printable(ArtifactRedaction.display(uri)))', which is not a safe path under its artifact proxy")
        }
        return path
    }
}
