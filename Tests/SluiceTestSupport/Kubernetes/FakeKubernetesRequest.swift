import Foundation
import NIOHTTP1

/// One request as the fake's router sees it.
struct FakeKubernetesRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var segments: [String]
    var query: [String: String]
    var headers: HTTPHeaders
    var body: [UInt8]
    /// Authenticated by a verified client certificate.
    var hasClientCertificate: Bool

    init(head: HTTPRequestHead, body: [UInt8], hasClientCertificate: Bool) {
        method = head.method
        let components = URLComponents(string: head.uri)
        path = components?.path ?? head.uri
        segments = path.split(separator: "/").map(String.init)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        self.query = query
        headers = head.headers
        self.body = body
        self.hasClientCertificate = hasClientCertificate
    }

    /// A query flag: `watch=1`, `watch=true`, `force=true`.
    func flag(_ name: String) -> Bool {
        guard let value = query[name] else { return false }
        return value == "1" || value == "true"
    }

    /// The field manager of a non-apply write: `fieldManager`, else the User-Agent's first token
    /// (k8s.io/apiserver/pkg/endpoints/handlers/rest.go `prefixFromUserAgent`).
    var updateManager: String {
        if let manager = query["fieldManager"], !manager.isEmpty { return manager }
        let agent = headers.first(name: "User-Agent") ?? ""
        return agent.split(separator: "/").first.map(String.init) ?? "unknown"
    }
}
