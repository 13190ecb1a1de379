/// The methods of `inference.GRPCInferenceService` (the Open Inference Protocol's gRPC
/// service) the gateway serves, by path.
enum GRPCMethod: Sendable {
    /// Answered by the gateway itself.
    case serverLive, serverReady
    /// Routed by the request's `model_name` (and `model_version`) to a model server.
    case modelReady, modelMetadata, modelInfer

    static let servicePrefix = "/inference.GRPCInferenceService/"

    /// The method a `:path` names; nil for any other (answered UNIMPLEMENTED).
    init?(path: String) {
        guard path.hasPrefix(Self.servicePrefix) else { return nil }
        switch path.dropFirst(Self.servicePrefix.count) {
        case "ServerLive": self = .serverLive
        case "ServerReady": self = .serverReady
        case "ModelReady": self = .modelReady
        case "ModelMetadata": self = .modelMetadata
        case "ModelInfer": self = .modelInfer
        default: return nil
        }
    }

    /// The request message's name, for error messages.
    var requestName: String {
        switch self {
        case .serverLive: "ServerLiveRequest"
        case .serverReady: "ServerReadyRequest"
        case .modelReady: "ModelReadyRequest"
        case .modelMetadata: "ModelMetadataRequest"
        case .modelInfer: "ModelInferRequest"
        }
    }
}
