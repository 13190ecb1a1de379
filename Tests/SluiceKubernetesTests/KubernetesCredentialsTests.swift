import Foundation
import SluiceConfig
import SluiceKubernetes
import Testing

/// Loading credentials from real kubeconfig files and service-account directories written to
/// temporary directories: what is read, what is refused, and that no error shows a secret.
@Suite("kubernetes credentials", .timeLimit(.minutes(10)))
struct KubernetesCredentialsTests {
    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTest\n-----END CERTIFICATE-----\n"
    static let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKeyTest\n-----END EC PRIVATE KEY-----\n"
    static let secretToken = "eyJhbGciOiJSUzI1NiJ9.secret-token-value"

    /// A new temporary directory holding `files` (name → content).
    func directory(_ files: [String: String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, content) in files {
            let file = "\(path)/\(name)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return path
    }

    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A kubeconfig with clusters `prod` and `dev`, contexts of the same names and `users`.
    func kubeconfig(current: String = "prod", users: String, prodCluster: String? = nil) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: \(current)
        clusters:
        - name: prod
          cluster:
        \(prodCluster ?? "    server: https://10.0.0.1:6443/\n    certificate-authority-data: \(base64(Self.certificate))")
        - name: dev
          cluster:
            server: https://dev.example:443
            certificate-authority: certs/dev-ca.crt
        contexts:
        - name: prod
          context: {cluster: prod, user: prod-admin, namespace: ml-prod}
        - name: dev
          context: {cluster: dev, user: dev-token}
        users:
        \(users)
        """
    }

    func load(_ path: String, context: String? = nil) throws(KubernetesError) -> KubernetesCredentials {
        try KubernetesCredentials.load(.kubeconfig(path: path, context: context), environment: [:])
    }

    /// The error loading `path` gives; fails the test if it loads.
    func failure(_ path: String, context: String? = nil) -> String {
        do {
            _ = try load(path, context: context)
            Issue.record("\(path) loaded")
            return ""
        } catch {
            #expect(error.kind == .unreadable)
            #expect(!error.description.contains(Self.secretToken))
            #expect(!error.description.contains("KeyTest"))
            return error.description
        }
    }

    @Test("the current context's cluster, embedded CA and client certificate, and namespace")
    func embeddedData() throws {
        let users = """
            - name: prod-admin
              user:
                client-certificate-data: \(base64(Self.certificate))
                client-key-data: \(base64(Self.key))
            """
        let dir = try directory(["config": kubeconfig(users: users)])
        let credentials = try load("\(dir)/config")
        #expect(credentials.server == "https://10.0.0.1:6443")
        #expect(credentials.certificateAuthorityPEM == Array(Self.certificate.utf8))
        #expect(credentials.namespace == "ml-prod")
        #expect(credentials.insecureSkipTLSVerify == false)
        guard case .clientCertificate(let certificate, let key) = credentials.authentication else {
            Issue.record("expected a client certificate")
            return
        }
        #expect(certificate == Array(Self.certificate.utf8))
        #expect(key == Array(Self.key.utf8))
        #expect(credentials.description == "API server https://10.0.0.1:6443")
    }

    @Test("a named context; the CA and token files are relative to the kubeconfig, and the token is re-read on every request")
    func pathsAndRotation() throws {
        let users = """
            - name: dev-token
              user: {tokenFile: tokens/dev}
            """
        let dir = try directory([
            "kube/config": kubeconfig(users: users), "kube/certs/dev-ca.crt": Self.certificate, "kube/tokens/dev": "first-token\n",
        ])
        let credentials = try load("\(dir)/kube/config", context: "dev")
        #expect(credentials.server == "https://dev.example:443")
        #expect(credentials.certificateAuthorityPEM == Array(Self.certificate.utf8))
        #expect(credentials.namespace == nil)
        guard case .bearerToken(let token) = credentials.authentication else {
            Issue.record("expected a bearer token")
            return
        }
        #expect(try token() == "first-token")
        try "rotated-token\n".write(toFile: "\(dir)/kube/tokens/dev", atomically: true, encoding: .utf8)
        #expect(try token() == "rotated-token")
        try FileManager.default.removeItem(atPath: "\(dir)/kube/tokens/dev")
        #expect(throws: KubernetesError.self) { try token() }
    }

    @Test("a literal token and insecure-skip-tls-verify without a CA")
    func literalTokenInsecure() throws {
        let users = "- name: prod-admin\n  user: {token: \(Self.secretToken)}"
        let dir = try directory(["config": kubeconfig(users: users, prodCluster: "    server: https://10.0.0.1\n    insecure-skip-tls-verify: true")])
        let credentials = try load("\(dir)/config")
        #expect(credentials.insecureSkipTLSVerify)
        #expect(credentials.certificateAuthorityPEM == nil)
        guard case .bearerToken(let token) = credentials.authentication else {
            Issue.record("expected a bearer token")
            return
        }
        #expect(try token() == Self.secretToken)
        #expect(!credentials.description.contains(Self.secretToken))
    }

    @Test("bad base64, a missing context, a missing user and an unreadable CA file are named with the file and field, never the content")
    func refusals() throws {
        let badData = "- name: prod-admin\n  user:\n    client-certificate-data: '%%not base64%%'\n    client-key-data: \(base64(Self.key))"
        let dir = try directory([
            "bad-base64": kubeconfig(users: badData),
            "missing-user": kubeconfig(users: "  []"),
            "ok": kubeconfig(users: "- name: dev-token\n  user: {token: \(Self.secretToken)}"),
        ])
        #expect(failure("\(dir)/bad-base64") == "kubeconfig \(dir)/bad-base64 (context 'prod'): user 'prod-admin' client-certificate-data is not valid base64")
        #expect(failure("\(dir)/missing-user") == "kubeconfig \(dir)/missing-user: context 'prod' names user 'prod-admin', which is not in users")
        #expect(failure("\(dir)/ok", context: "staging") == "kubeconfig \(dir)/ok: no context named 'staging' (contexts: 'dev', 'prod')")
        #expect(failure("\(dir)/ok", context: "dev").contains("\(dir)/certs/dev-ca.crt does not exist"))
        #expect(failure("\(dir)/no-such-file") == "kubeconfig \(dir)/no-such-file does not exist")
    }

    @Test("a server must be https://, or http:// on loopback only (a token must not cross the network in the clear)")
    func plainHTTP() throws {
        let users = "- name: prod-admin\n  user: {token: \(Self.secretToken)}"
        let dir = try directory([
            "remote": kubeconfig(users: users, prodCluster: "    server: http://10.0.0.1:8080"),
            "loopback": kubeconfig(users: users, prodCluster: "    server: http://127.0.0.1:8080"),
            "ftp": kubeconfig(users: users, prodCluster: "    server: ftp://10.0.0.1"),
        ])
        #expect(failure("\(dir)/remote").hasSuffix("cluster 'prod' server 'http://10.0.0.1:8080' uses http:// to a host that is not loopback; use https://"))
        #expect(failure("\(dir)/ftp").hasSuffix("cluster 'prod' server 'ftp://10.0.0.1' is not an https:// URL with a host"))
        #expect(try load("\(dir)/loopback").server == "http://127.0.0.1:8080")
    }

    @Test("exec plugins, auth providers and basic auth are refused by user name, with the workaround")
    func unsupportedUsers() throws {
        let exec = """
            - name: prod-admin
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: /usr/local/bin/aws
                  args: [eks, get-token, --cluster-name, prod]
            """
        let dir = try directory([
            "exec": kubeconfig(users: exec),
            "basic": kubeconfig(users: "- name: prod-admin\n  user: {username: admin, password: \(Self.secretToken)}"),
            "provider": kubeconfig(users: "- name: prod-admin\n  user: {auth-provider: {name: gcp}}"),
        ])
        #expect(
            failure("\(dir)/exec")
                == "kubeconfig \(dir)/exec (context 'prod'): user 'prod-admin' gets its credentials from an exec plugin ('aws'), which Sluice does not run; give it a service-account token instead (a user with `token` or `tokenFile`, see docs/kubernetes.md)")
        #expect(failure("\(dir)/basic").hasSuffix("user 'prod-admin' uses basic authentication (username/password), which Kubernetes no longer serves; use a token or a client certificate"))
        #expect(failure("\(dir)/provider").contains("user 'prod-admin' uses an auth-provider"))
    }

    @Test("a kubeconfig that is not YAML, or has a certificate without its key, is refused")
    func malformed() throws {
        let certificateOnly = "- name: prod-admin\n  user: {client-certificate-data: \(base64(Self.certificate))}"
        let dir = try directory(["syntax": "clusters: [\n  - name: {", "half": kubeconfig(users: certificateOnly), "list": "- a\n- b\n"])
        #expect(failure("\(dir)/syntax").hasPrefix("kubeconfig \(dir)/syntax is not valid YAML: "))
        #expect(failure("\(dir)/syntax").contains("line"))
        #expect(failure("\(dir)/half").hasSuffix("user 'prod-admin' has a client certificate but no client-key or client-key-data"))
        #expect(failure("\(dir)/list") == "kubeconfig \(dir)/list is not a YAML mapping with clusters, users and contexts")
    }

    @Test("in a pod: the service host and port (IPv6 bracketed), the CA, the namespace, and a token re-read on every request")
    func inCluster() throws {
        let dir = try directory(["token": "pod-token-1\n", "ca.crt": Self.certificate, "namespace": "models\n"])
        let environment = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let credentials = try KubernetesCredentials.load(.inCluster, environment: environment, serviceAccountDirectory: dir)
        #expect(credentials.server == "https://[fd00::1]:443")
        #expect(credentials.certificateAuthorityPEM == Array(Self.certificate.utf8))
        #expect(credentials.namespace == "models")
        guard case .bearerToken(let token) = credentials.authentication else {
            Issue.record("expected a bearer token")
            return
        }
        #expect(try token() == "pod-token-1")
        try "pod-token-2".write(toFile: "\(dir)/token", atomically: true, encoding: .utf8)
        #expect(try token() == "pod-token-2")
        let ipv4 = try KubernetesCredentials.load(
            .inCluster, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], serviceAccountDirectory: dir)
        #expect(ipv4.server == "https://10.96.0.1:443")
    }

    @Test("outside a pod, or without the token or CA, in-cluster loading says what is missing")
    func inClusterRefusals() throws {
        func failure(_ environment: [String: String], _ directory: String) -> String {
            do {
                _ = try KubernetesCredentials.load(.inCluster, environment: environment, serviceAccountDirectory: directory)
                Issue.record("loaded")
                return ""
            } catch {
                return error.description
            }
        }
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let empty = try directory([:])
        #expect(failure([:], empty).hasPrefix("not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set"))
        #expect(failure(["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "https"], empty) == "KUBERNETES_SERVICE_PORT is 'https', expected a port from 1 to 65535")
        #expect(failure(environment, empty) == "the service-account token \(empty)/token does not exist")
        let noCA = try directory(["token": "t"])
        #expect(failure(environment, noCA) == "the service-account CA \(noCA)/ca.crt does not exist")
        let badCA = try directory(["token": "t", "ca.crt": "not a certificate"])
        #expect(failure(environment, badCA) == "the service-account CA \(badCA)/ca.crt holds no '-----BEGIN CERTIFICATE-----' block")
        let emptyToken = try directory(["token": "\n", "ca.crt": Self.certificate])
        #expect(failure(environment, emptyToken) == "the service-account token \(emptyToken)/token is empty")
    }
}
