import SluiceConfig

extension KubernetesCredentials {
    /// The default directory of a pod's service-account files.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The credentials `connection` describes: a kubeconfig (its `current-context` or the
    /// named one) or the pod's service account. Token files are re-read on every request.
    /// Every error names the file and what is wrong in it, never a secret.
    public static func load(
        _ connection: KubernetesConnection, environment: [String: String],
        serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws(KubernetesError) -> KubernetesCredentials {
        switch connection {
        case .kubeconfig(let path, let context):
            return try Kubeconfig.load(path: path, context: context).credentials()
        case .inCluster:
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
    }
}
