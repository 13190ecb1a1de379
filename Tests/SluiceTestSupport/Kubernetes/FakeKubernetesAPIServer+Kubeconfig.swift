import Foundation

extension FakeKubernetesAPIServer {
    /// Writes a real kubeconfig for this fake (the format of
    /// https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/):
    /// cluster `fake` with `certificate-authority-data`, user `sluice` with the bearer token (or,
    /// with `clientCertificate`, `client-certificate-data`/`client-key-data`), context `fake` in
    /// `namespace`, current. The file is made readable by its owner only (it holds a credential).
    public func writeKubeconfig(to path: String, namespace: String, clientCertificate: Bool = false) throws {
        func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        var cluster = "    server: \(url)\n"
        if !caPEM.isEmpty { cluster += "    certificate-authority-data: \(base64(caPEM))\n" }
        let user =
            clientCertificate
            ? "    client-certificate-data: \(base64(clientCertificatePEM))\n    client-key-data: \(base64(clientKeyPEM))\n"
            : "    token: \(token)\n"
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
            \(cluster)contexts:
            - name: fake
              context:
                cluster: fake
                user: sluice
                namespace: \(namespace)
            current-context: fake
            users:
            - name: sluice
              user:
            \(user)
            """
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw FakeKubernetesSetupError(message: "could not write the kubeconfig to \(path)")
        }
    }
}
