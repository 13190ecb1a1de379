import Foundation
import SluiceCore
import SluicePrometheus
import SluiceTestSupport
import Testing

/// HTTPS to a real Prometheus serving a certificate from a throwaway CA (`--web.config.file`).
@Suite(.enabled(if: PrometheusServer.isAvailable, "needs prometheus (scripts/setup.sh installs it)"), .timeLimit(.minutes(10)))
struct PrometheusTLSTests {
    @Test func theConfiguredCAIsTrusted() async throws {
        let certificates = try TestCertificates()
        let server = try await PrometheusServer(tls: .init(certificateFile: certificates.certificateFile, keyFile: certificates.keyFile))
        defer { server.stop() }
        #expect(server.baseURL.hasPrefix("https://"))
        let client = try PrometheusClient(baseURL: server.baseURL, caFile: certificates.caFile)
        let result = await client.outcome("1+1")
        try await client.shutdown()
        #expect(try result.get() == .scalar(2))
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let certificates = try TestCertificates()
        let server = try await PrometheusServer(tls: .init(certificateFile: certificates.certificateFile, keyFile: certificates.keyFile))
        defer { server.stop() }
        // Another CA's certificate, and none: the system roots do not know the test CA either.
        let other = try TestCertificates()
        for caFile in [other.caFile, nil] {
            let client = try PrometheusClient(baseURL: server.baseURL, caFile: caFile)
            let result = await client.outcome("1+1")
            try await client.shutdown()
            guard case .failure(let error) = result else {
                Issue.record("an untrusted certificate was accepted (caFile \(caFile ?? "none"))")
                continue
            }
            #expect(error.kind == .unreachable)
            #expect(error.message.contains("TLS"), "\(error.message)")
        }
    }

    @Test func aCAFileThatIsNotPEMIsRefusedAtSetUp() throws {
        let certificates = try TestCertificates()
        let notPEM = certificates.directory.appendingPathComponent("not.pem").path
        try "hello\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        for path in [notPEM, certificates.directory.appendingPathComponent("missing.pem").path] {
            let error = #expect(throws: PrometheusClient.ConfigurationError.self) {
                _ = try PrometheusClient(baseURL: "https://127.0.0.1:9090", caFile: path)
            }
            #expect(error?.description.contains(path) == true)
        }
    }
}
