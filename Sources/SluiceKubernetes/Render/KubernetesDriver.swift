/// Which objects represent a model on the cluster (the resolved `backend.driver`).
public enum KubernetesDriver: String, Sendable, Hashable {
    /// A Deployment and a Service per version, one Gateway API HTTPRoute per model.
    case gatewayAPI = "gateway-api"
    /// One KServe InferenceService per model.
    case kserve
}
