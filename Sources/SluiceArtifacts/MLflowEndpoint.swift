import Foundation
import SluiceCore

/// The tracking server's base URL, checked once: https, or plain http only to a loopback
/// host (a token must never cross a network in clear text); no user info (the token comes
/// from `tokenFile`), no query or fragment. Builds the request URLs with every name, alias
/// and path percent-encoded.
struct MLflowEndpoint: Sendable, Hashable {
    /// `scheme://host[:port][/prefix]`, without a trailing slash.
    let base: String

    init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty
        else {
            throw Self.problem(text, "is not an absolute URL; write https://mlflow.example.com")
        }
        guard components.user == nil, components.password == nil else {
            throw Self.problem(text, "carries user info; put the token in controller.artifacts.mlflow.tokenFile instead")
        }
        guard components.query == nil, components.fragment == nil else {
            throw Self.problem(text, "has a query or fragment; write only the server's base URL")
        }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw Self.problem(text, "uses http to a host that is not loopback; use https (http is accepted only for 127.0.0.1, ::1 or localhost)")
            }
        default:
            throw Self.problem(text, "has the scheme '\(ArtifactFetchError.printable(scheme))'; use https")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        base = "\(scheme)://\(hostPart)\(components.port.map { ":\($0)" } ?? "")\(path)"
    }

    /// True for `localhost`, 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// `base + path + ?name=value&…`, every query value percent-encoded.
    func url(_ path: String, query: [(String, String)] = []) -> String {
        guard !query.isEmpty else { return base + path }
        return base + path + "?" + query.map { "\($0.0)=\(Self.encoded($0.1))" }.joined(separator: "&")
    }

    /// The artifact proxy's download URL for `path` (`a/b/MLmodel`), each segment encoded.
    func artifactURL(_ path: String) -> String {
        base + "/api/2.0/mlflow-artifacts/artifacts/" + path.split(separator: "/").map { Self.encoded(String($0)) }.joined(separator: "/")
    }

    /// `text` with everything but RFC 3986's unreserved characters percent-encoded.
    static func encoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static func problem(_ text: String, _ what: String) -> ArtifactFetchError {
        ArtifactFetchError(.unsupported, "controller.artifacts.mlflow.url '\(ArtifactFetchError.printable(ArtifactRedaction.display(text)))' \(what)")
    }
}
