import Foundation
import NIOSSL

/// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate (CN
/// `system:serviceaccount:models:sluice`), made by the `openssl` command line (never by hand-written
/// crypto) in a temporary directory that is removed once the files are read.
struct FakeKubernetesTLS: Sendable {
    var caPEM: [UInt8]
    var serverCertificatePEM: [UInt8]
    var serverKeyPEM: [UInt8]
    var clientCertificatePEM: [UInt8]
    var clientKeyPEM: [UInt8]

    static func make(user: String) async throws -> FakeKubernetesTLS {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-fake-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
            .write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(
            ["req", "-x509"] + key + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice fake Kubernetes CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ], in: directory)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/O=sluice/CN=\(user)")] {
            try await openssl(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject], in: directory)
            try await openssl(
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "\(name).pem", "-days", "2", "-extfile", "\(name).ext",
                ], in: directory)
        }
        func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(name))) }
        return FakeKubernetesTLS(
            caPEM: try read("ca.pem"), serverCertificatePEM: try read("server.pem"), serverKeyPEM: try read("server.key"),
            clientCertificatePEM: try read("client.pem"), clientKeyPEM: try read("client.key"))
    }

    /// The server context: its certificate, and client certificates verified against the CA when
    /// presented (optional: a bearer token is the other way in).
    func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(serverCertificatePEM).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: serverKeyPEM, format: .pem)))
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(caPEM))
        configuration.certificateVerification = .optionalVerification
        return try NIOSSLContext(configuration: configuration)
    }

    private static func openssl(_ arguments: [String], in directory: URL) async throws {
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments, in: directory)
        guard result.status == 0 else {
            throw FakeKubernetesSetupError(message: "openssl \(arguments.first ?? "") failed: \(result.output)")
        }
    }
}

/// The fake could not be set up (openssl failed, the port could not be bound).
public struct FakeKubernetesSetupError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    /// ``message``.
    public var description: String { message }
}
