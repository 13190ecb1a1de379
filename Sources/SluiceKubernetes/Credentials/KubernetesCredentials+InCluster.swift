import Foundation

extension KubernetesCredentials {
    /// A pod's service account, the way client-go's `InClusterConfig` reads it:
    /// `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, and `token`, `ca.crt` and
    /// `namespace` in `serviceAccountDirectory`.
    static func inCluster(environment: [String: String], serviceAccountDirectory: String) throws(KubernetesError) -> KubernetesCredentials {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubernetesError(
                .unreadable,
                "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set; outside a cluster set backend.kubeconfig")
        }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw KubernetesError(.unreadable, "KUBERNETES_SERVICE_PORT is '\(port.prefix(32))', expected a port from 1 to 65535")
        }
        guard host.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-:".unicodeScalars.contains($0) }) else {
            throw KubernetesError(.unreadable, "KUBERNETES_SERVICE_HOST is not a host name or IP address")
        }
        // An IPv6 address is bracketed in a URL.
        let authority = host.contains(":") ? "[\(host)]:\(number)" : "\(host):\(number)"
        let directory = serviceAccountDirectory.hasSuffix("/") ? String(serviceAccountDirectory.dropLast()) : serviceAccountDirectory
        let tokenPath = "\(directory)/token"
        // Read once now so that a missing token fails at start, not at the first request.
        _ = try CredentialFile.token(tokenPath, what: "the service-account token")
        let caPath = "\(directory)/ca.crt"
        let ca = try CredentialFile.read(caPath, limit: CredentialFile.smallFileLimit, what: "the service-account CA")
        guard CredentialFile.containsPEM(ca, label: "CERTIFICATE") else {
            throw KubernetesError(.unreadable, "the service-account CA \(caPath) holds no '-----BEGIN CERTIFICATE-----' block")
        }
        var namespace: String?
        let namespacePath = "\(directory)/namespace"
        if let bytes = try? CredentialFile.read(namespacePath, limit: 256, what: "the service-account namespace") {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            namespace = text.isEmpty ? nil : text
        }
        return KubernetesCredentials(
            server: "https://\(authority)", certificateAuthorityPEM: ca,
            authentication: .bearerToken(CredentialFile.tokenReader(tokenPath, what: "the service-account token")),
            namespace: namespace)
    }
}
