import Foundation

/// Reads the small files credentials come from (kubeconfig, token, CA, client certificate),
/// bounded so that a wrong path (a device, a huge file) cannot exhaust memory. Errors name
/// the file and what is wrong, never its content.
enum CredentialFile {
    /// Most bytes a kubeconfig may have.
    static let kubeconfigLimit = 4 << 20
    /// Most bytes a token, certificate or key file may have.
    static let smallFileLimit = 1 << 20

    /// The bytes of `path`, at most `limit`; `what` names the file's role in errors.
    static func read(_ path: String, limit: Int, what: String) throws(KubernetesError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw KubernetesError(.unreadable, "\(what) \(path) \(exists ? "cannot be read (check its permissions)" : "does not exist")")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw KubernetesError(.unreadable, "\(what) \(path) cannot be read (is it a directory?)")
        }
        guard data.count <= limit else { throw KubernetesError(.unreadable, "\(what) \(path) is larger than \(limit >> 10) KiB") }
        return Array(data)
    }

    /// A bearer token from `path`: its content without surrounding whitespace, never empty.
    static func token(_ path: String, what: String) throws(KubernetesError) -> String {
        let bytes = try read(path, limit: smallFileLimit, what: what)
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw KubernetesError(.unreadable, "\(what) \(path) is empty") }
        // A token goes into a header: anything a header cannot carry is refused, not sent.
        guard token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw KubernetesError(.unreadable, "\(what) \(path) holds characters a bearer token cannot have (spaces, control or non-ASCII characters)")
        }
        return token
    }

    /// A closure that re-reads the token at `path` on every call, so that a rotated file
    /// (projected service-account tokens are renewed hourly) takes effect at once.
    static func tokenReader(_ path: String, what: String) -> @Sendable () throws -> String {
        { () throws -> String in try token(path, what: what) }
    }

    /// Whether `bytes` hold a PEM block of `label` (`CERTIFICATE`, or any `PRIVATE KEY`).
    static func containsPEM(_ bytes: [UInt8], label: String) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("-----BEGIN \(label)-----") || (label == "PRIVATE KEY" && text.range(of: #"-----BEGIN [A-Z ]*PRIVATE KEY-----"#, options: .regularExpression) != nil)
    }
}
