/// The annotations Sluice writes on rendered objects.
public enum KubernetesAnnotations {
    /// On the HTTPRoute or InferenceService: the model as a one-model RuntimeSpec JSON.
    public static let runtime = "sluice.dev/runtime"
    /// On the HTTPRoute or InferenceService: the revision (commit) the objects were rendered from.
    public static let revision = "sluice.dev/revision"
    /// The exact version name (labels hold a sanitized form when the name is not a valid label value).
    public static let version = "sluice.dev/version"
    /// On an InferenceService in Serverless mode during a canary: the version KServe keeps
    /// as its previous rolled-out revision.
    public static let previousVersion = "sluice.dev/previous-version"
    /// The artifact digest a version pins (on the Deployment and its pod template).
    public static let digest = "sluice.dev/digest"
    /// KServe's deployment-mode annotation (serving.kserve.io/deploymentMode).
    public static let kserveDeploymentMode = "serving.kserve.io/deploymentMode"
}
