import SluiceKubernetes

extension FakeKubernetesAPIServer {
    /// Credentials for Sluice's own client against this fake: its URL and CA, and the bearer
    /// token (or, with `clientCertificate`, the client certificate it accepts).
    public func credentials(namespace: String = "models", clientCertificate: Bool = false) -> KubernetesCredentials {
        let token = self.token
        return KubernetesCredentials(
            server: url, certificateAuthorityPEM: caPEM.isEmpty ? nil : caPEM,
            authentication: clientCertificate
                ? .clientCertificate(certificatePEM: clientCertificatePEM, keyPEM: clientKeyPEM) : .bearerToken { token },
            namespace: namespace)
    }
}
