/// How to reach and authenticate to one API server: read from a kubeconfig or from the
/// pod's service account. Its description names the server only, never a secret.
public struct KubernetesCredentials: Sendable, CustomStringConvertible {
    /// The API server's base URL (`https://10.0.0.1:443`).
    public var server: String
    /// PEM of the CA that signs the server's certificate; nil: the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    /// How requests prove who they are.
    public var authentication: Authentication
    /// Skip server-certificate verification (the kubeconfig's `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// The namespace the kubeconfig context or the service account names, when any.
    public var namespace: String?

    public init(
        server: String, certificateAuthorityPEM: [UInt8]? = nil, authentication: Authentication = .none,
        insecureSkipTLSVerify: Bool = false, namespace: String? = nil
    ) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.authentication = authentication
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.namespace = namespace
    }

    public var description: String { "API server \(server)" }

    /// A request's proof of identity.
    public enum Authentication: Sendable {
        case none
        /// `Authorization: Bearer`; read on every request, so a rotated service-account
        /// token file is picked up.
        case bearerToken(@Sendable () throws -> String)
        /// TLS client authentication (PEM certificate chain and private key).
        case clientCertificate(certificatePEM: [UInt8], keyPEM: [UInt8])
    }
}
