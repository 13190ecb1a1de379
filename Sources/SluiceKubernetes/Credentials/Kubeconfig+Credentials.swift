import Foundation
import Yams

extension Kubeconfig {
    /// The server, CA and authentication of the selected context.
    func credentials() throws(KubernetesError) -> KubernetesCredentials {
        guard let server = cluster["server"]?.string, !server.isEmpty else {
            throw problem("cluster '\(clusterName)' has no server")
        }
        guard let components = URLComponents(string: server), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", components.host?.isEmpty == false else {
            throw problem("cluster '\(clusterName)' server '\(server.prefix(200))' is not an https:// URL with a host")
        }
        // A token over plain http could be read on the way: only a loopback server may use it.
        if scheme == "http", !["127.0.0.1", "::1", "[::1]", "localhost"].contains(components.host?.lowercased() ?? "") {
            throw problem("cluster '\(clusterName)' server '\(server.prefix(200))' uses http:// to a host that is not loopback; use https://")
        }
        guard components.user == nil, components.password == nil else {
            throw problem("cluster '\(clusterName)' server URL holds a user or password; credentials belong in users")
        }
        let insecure = cluster["insecure-skip-tls-verify"]?.bool ?? false
        let ca = try pem(
            data: cluster["certificate-authority-data"], file: cluster["certificate-authority"],
            field: "cluster '\(clusterName)' certificate-authority", label: "CERTIFICATE")
        if insecure, ca != nil {
            // kubectl refuses the same combination.
            throw problem("cluster '\(clusterName)' sets both a certificate authority and insecure-skip-tls-verify; remove one")
        }
        return KubernetesCredentials(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server, certificateAuthorityPEM: ca,
            authentication: try authentication(), insecureSkipTLSVerify: insecure, namespace: namespace)
    }

    /// The user's proof of identity: a token (literal or file), or a client certificate.
    private func authentication() throws(KubernetesError) -> KubernetesCredentials.Authentication {
        let who = "user '\(userName)'"
        if user["exec"] != nil {
            let command = user["exec"]?["command"]?.string.map { " ('\(URL(fileURLWithPath: $0).lastPathComponent)')" } ?? ""
            throw problem(
                "\(who) gets its credentials from an exec plugin\(command), which Sluice does not run; give it a service-account token instead (a user with `token` or `tokenFile`, see docs/kubernetes.md)")
        }
        if user["auth-provider"] != nil {
            throw problem("\(who) uses an auth-provider, which Sluice does not support; give it a service-account token instead (`token` or `tokenFile`)")
        }
        if user["username"] != nil || user["password"] != nil {
            throw problem("\(who) uses basic authentication (username/password), which Kubernetes no longer serves; use a token or a client certificate")
        }
        let certificate = try pem(
            data: user["client-certificate-data"], file: user["client-certificate"], field: "\(who) client-certificate", label: "CERTIFICATE")
        let key = try pem(data: user["client-key-data"], file: user["client-key"], field: "\(who) client-key", label: "PRIVATE KEY")
        let hasToken = user["token"] != nil || user["tokenFile"] != nil
        switch (certificate, key) {
        case (let certificate?, let key?):
            guard !hasToken else { throw problem("\(who) has both a client certificate and a token; keep one") }
            return .clientCertificate(certificatePEM: certificate, keyPEM: key)
        case (.some, nil): throw problem("\(who) has a client certificate but no client-key or client-key-data")
        case (nil, .some): throw problem("\(who) has a client key but no client-certificate or client-certificate-data")
        case (nil, nil): break
        }
        if let token = user["token"] {
            guard let value = token.string, !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw problem("\(who) token is empty or holds characters a bearer token cannot have")
            }
            return .bearerToken { value }
        }
        if let file = user["tokenFile"]?.string, !file.isEmpty {
            let resolved = resolve(file)
            // Read once now so that a wrong path fails at start; then on every request.
            _ = try CredentialFile.token(resolved, what: "\(who) tokenFile")
            return .bearerToken(CredentialFile.tokenReader(resolved, what: "\(who) tokenFile"))
        }
        return .none
    }

    /// PEM bytes from a `…-data` field (base64) or a file field (relative to the kubeconfig);
    /// nil when neither is given. `-data` wins, as in kubectl.
    private func pem(data: Node?, file: Node?, field: String, label: String) throws(KubernetesError) -> [UInt8]? {
        var bytes: [UInt8]
        if let data {
            let text = (data.string ?? "").filter { !$0.isWhitespace }
            guard !text.isEmpty, let decoded = Data(base64Encoded: text) else {
                throw problem("\(field)-data is not valid base64")
            }
            bytes = Array(decoded)
            guard CredentialFile.containsPEM(bytes, label: label) else {
                throw problem("\(field)-data decodes to no PEM '\(label)' block")
            }
        } else if let path = file?.string, !path.isEmpty {
            let resolved = resolve(path)
            bytes = try CredentialFile.read(resolved, limit: CredentialFile.smallFileLimit, what: "\(field) file (from kubeconfig \(self.path))")
            guard CredentialFile.containsPEM(bytes, label: label) else {
                throw problem("\(field) file \(resolved) holds no PEM '\(label)' block")
            }
        } else {
            return nil
        }
        return bytes
    }

    private func problem(_ message: String) -> KubernetesError {
        KubernetesError(.unreadable, "kubeconfig \(path) (context '\(contextName)'): \(message)")
    }
}
