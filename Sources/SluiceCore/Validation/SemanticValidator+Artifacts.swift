extension DiagnosticCode {
    /// An artifact that can change under the same text (an S3 key, an https URL, an MLflow
    /// alias) has no `digest:` pin.
    public static let unpinnedArtifact = DiagnosticCode(rawValue: "unpinned-artifact")
    /// An artifact only a cluster runtime fetches (`gs://`, `hf://`, `pvc://`).
    public static let clusterOnlyArtifact = DiagnosticCode(rawValue: "cluster-only-artifact")
}

extension SemanticValidator {
    /// Per version: a digest that cannot describe its artifact is an error; with
    /// `artifactWarnings`, an unpinned mutable reference and a cluster-only one are warnings,
    /// each at the `artifact` field. References the schema pass refused are skipped.
    mutating func checkArtifacts(_ spec: YAMLNode) {
        for (index, version) in spec.list("versions").enumerated() {
            guard let node = version["artifact"], let text = version.string("artifact") else { continue }
            let reference = ArtifactReference.parse(text)
            guard reference.problem == nil else { continue }
            let path = "spec.versions[\(index)].artifact"
            let digestNode = version["digest"]
            let digest = version.string("digest").flatMap { Digest.parse($0).value }
            if reference.isDirectory, let digest, digest.algorithm != .sha256, let digestNode {
                validator.report(
                    digestNode.location, .inconsistent, "spec.versions[\(index)].digest",
                    "this artifact is a directory, whose digest is sha256 over its listing (sluice-directory-v1); \(digest.algorithm.rawValue) is not defined for directories; pin it with the sha256: value `sluice artifact digest` prints")
            }
            guard artifactWarnings else { continue }
            if case .clusterOnly(let scheme, _) = reference {
                validator.report(
                    node.location, .clusterOnlyArtifact, path,
                    "\(scheme):// artifacts are fetched only by a cluster runtime (the kubernetes backend); the local backend cannot fetch them"
                        + (digestNode == nil ? "" : ", and Sluice cannot check their digest:"),
                    severity: .warning)
            } else if reference.isMutable, digestNode == nil {
                validator.report(
                    node.location, .unpinnedArtifact, path,
                    "'\(ArtifactRedaction.display(text))' \(Self.mutability(of: reference)); pin it with digest: (sluice artifact digest URI prints it)",
                    severity: .warning)
            }
        }
    }

    /// Why the same text may name other bytes later.
    static func mutability(of reference: ArtifactReference) -> String {
        switch reference {
        case .s3: return "is an S3 key, which anyone with write access can overwrite"
        case .https: return "is an https URL, whose content the server can change"
        case .mlflow(_, .alias(let alias)): return "follows the alias @\(alias), which moves when someone re-points it"
        default: return "can name other bytes later"
        }
    }
}

extension DiagnosticCode {
    /// `validate --check-artifacts`: the artifact could not be read or fetched.
    public static let artifactUnavailable = DiagnosticCode(rawValue: "artifact-unavailable")
    /// `validate --check-artifacts`: the artifact's content differs from its `digest:`.
    public static let digestMismatch = DiagnosticCode(rawValue: "digest-mismatch")
}
