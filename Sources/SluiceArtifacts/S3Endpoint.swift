import Foundation
import SluiceConfig
import SluiceCore

/// Where S3 requests go and how buckets are addressed: `config.endpoint`, else
/// `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (as the AWS SDKs read them), else
/// `https://s3.REGION.amazonaws.com`. A custom endpoint uses path-style addressing unless
/// `pathStyle` says otherwise; plain http is refused except to a loopback host.
struct S3Endpoint: Sendable, Hashable {
    var scheme: String
    var host: String
    var port: Int?
    /// A path the store is mounted under ("" or "/base"), without a trailing slash.
    var basePath: String
    var pathStyle: Bool

    init(config: ArtifactsConfig.S3, region: String, environment: [String: String]) throws {
        let custom = config.endpoint ?? environment["AWS_ENDPOINT_URL_S3"].nonEmpty ?? environment["AWS_ENDPOINT_URL"].nonEmpty
        let text = custom ?? "https://s3.\(region).amazonaws.com"
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil, url.user == nil, url.password == nil
        else {
            throw ArtifactFetchError(.unsupported, "the S3 endpoint '\(ArtifactRedaction.display(text))' is not a URL of the form https://host[:port]")
        }
        guard scheme == "https" || (scheme == "http" && Self.isLoopback(host)) else {
            throw ArtifactFetchError(
                .unsupported,
                "the S3 endpoint '\(ArtifactRedaction.display(text))' must use https (http is allowed only for a loopback host such as 127.0.0.1)")
        }
        self.scheme = scheme
        self.host = host
        self.port = url.port
        var base = url.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        self.basePath = base
        self.pathStyle = config.pathStyle ?? (custom != nil)
    }

    /// The Host header for `bucket` (`bucket.host` in virtual-hosted style).
    func hostHeader(bucket: String) -> String {
        let name = usesPathStyle(bucket: bucket) ? host : "\(bucket).\(host)"
        let bracketed = name.contains(":") ? "[\(name)]" : name
        guard let port, port != (scheme == "https" ? 443 : 80) else { return bracketed }
        return "\(bracketed):\(port)"
    }

    /// The canonical (URI-encoded) path of `key` in `bucket` ("" for the bucket itself).
    func path(bucket: String, key: String) -> String {
        let encodedKey = SigV4Signer.uriEncode(key, keepSlash: true)
        return usesPathStyle(bucket: bucket) ? "\(basePath)/\(bucket)/\(encodedKey)" : "\(basePath)/\(encodedKey)"
    }

    /// A bucket with dots cannot be a TLS host name under the wildcard certificate.
    func usesPathStyle(bucket: String) -> Bool { pathStyle || bucket.contains(".") }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy({ UInt8($0) != nil }) && octets[0] == "127"
    }
}

extension Optional where Wrapped == String {
    /// Nil for nil or "".
    fileprivate var nonEmpty: String? { self.flatMap { $0.isEmpty ? nil : $0 } }
}
