import Foundation
import SluiceCore

extension ConfigBuilder {
    /// The `controller.artifacts` section; every field checked, defaults for the rest.
    mutating func artifacts(_ node: YAMLNode) -> ArtifactsConfig {
        let field = "controller.artifacts"
        var config = ArtifactsConfig()
        if let directory = text(node["cacheDirectory"]) {
            if directory.isEmpty {
                problem(node["cacheDirectory"]!, "\(field).cacheDirectory", "expected a directory path, found an empty string")
            } else {
                config.cacheDirectory = resolve(directory)
            }
        }
        let cacheBytes = byteSize(node["maxCacheBytes"], "\(field).maxCacheBytes")
        let artifactBytes = byteSize(node["maxArtifactBytes"], "\(field).maxArtifactBytes")
        if let cacheBytes { config.maxCacheBytes = cacheBytes }
        if let artifactBytes {
            if artifactBytes > config.maxCacheBytes {
                problem(
                    node["maxArtifactBytes"]!, "\(field).maxArtifactBytes",
                    "expected at most maxCacheBytes (\(config.maxCacheBytes) bytes): the cache must hold the largest artifact; found \(artifactBytes) bytes")
            } else {
                config.maxArtifactBytes = artifactBytes
            }
        } else {
            config.maxArtifactBytes = min(config.maxArtifactBytes, config.maxCacheBytes)
        }
        if let timeoutNode = node["timeout"], let value = duration(timeoutNode) {
            if value.milliseconds >= 1000, value.milliseconds <= 3_600_000 {
                config.timeout = value
            } else {
                problem(timeoutNode, "\(field).timeout", "expected a duration from 1s to 1h, found \(value)")
            }
        }
        if let retries = integer(node["retries"], in: 0...10) { config.retries = retries }
        if let s3 = node["s3"] { config.s3 = artifactsS3(s3, field: "\(field).s3") }
        if let https = node["https"], let caNode = https["caFile"], let path = text(caNode) {
            let resolved = resolve(path)
            if let reason = Self.certificateFileProblem(resolved) {
                problem(caNode, "\(field).https.caFile", "expected a readable PEM file of CA certificates, but '\(path)' \(reason)")
            } else {
                config.https.caFile = resolved
            }
        }
        if let mlflow = node["mlflow"] { config.mlflow = artifactsMLflow(mlflow, field: "\(field).mlflow") }
        return config
    }

    private mutating func artifactsS3(_ node: YAMLNode, field: String) -> ArtifactsConfig.S3 {
        var s3 = ArtifactsConfig.S3()
        if let endpointNode = node["endpoint"], let endpoint = text(endpointNode) {
            if let reason = Self.httpURLProblem(endpoint, credentials: "credentials come from the AWS environment or credentials file") {
                problem(endpointNode, "\(field).endpoint", "expected an http:// or https:// URL with a host (and an optional port); found '\(endpoint)': \(reason)")
            } else {
                s3.endpoint = endpoint
            }
        }
        if let regionNode = node["region"], let region = text(regionNode) {
            if region.isEmpty || region.utf8.count > 64 || !region.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) {
                problem(regionNode, "\(field).region", "expected a region such as us-east-1 (lowercase letters, digits and '-'), found '\(region)'")
            } else {
                s3.region = region
            }
        }
        if let profileNode = node["profile"], let profile = text(profileNode) {
            if profile.isEmpty || profile.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "[" || $0 == "]" }) {
                problem(profileNode, "\(field).profile", "expected a profile name of the shared credentials file (no brackets or control characters), found '\(profile)'")
            } else {
                s3.profile = profile
            }
        }
        s3.pathStyle = boolean(node["pathStyle"])
        return s3
    }

    private mutating func artifactsMLflow(_ node: YAMLNode, field: String) -> ArtifactsConfig.MLflow? {
        guard let urlNode = node["url"], let url = text(urlNode) else { return nil }  // missing: reported by the schema
        if let reason = Self.httpURLProblem(url, credentials: "a token belongs in tokenFile") {
            problem(urlNode, "\(field).url", "expected an https:// URL of the MLflow tracking server; found '\(url)': \(reason)")
            return nil
        }
        if let components = URLComponents(string: url), components.scheme?.lowercased() == "http", !Self.isLoopback(components.host ?? "") {
            problem(urlNode, "\(field).url", "expected https:// (a token and model files must not cross the network in clear text); http:// is allowed only on a loopback host, found '\(url)'")
            return nil
        }
        var mlflow = ArtifactsConfig.MLflow(url: url)
        if let tokenNode = node["tokenFile"], let path = text(tokenNode) {
            if path.isEmpty {
                problem(tokenNode, "\(field).tokenFile", "expected a file path, found an empty string")
            } else {
                mlflow.tokenFile = resolve(path)
            }
        }
        return mlflow
    }

    /// A size in bytes from `node`, or nil (absent, or reported).
    private mutating func byteSize(_ node: YAMLNode?, _ field: String) -> Int64? {
        guard let node, let text = text(node) else { return nil }
        switch Self.parseByteSize(text) {
        case .success(let value) where value >= 1 << 20: return value
        case .success(let value):
            problem(node, field, "expected at least 1Mi (1048576 bytes), found \(value) bytes ('\(text)')")
        case .failure(let reason):
            problem(node, field, "expected a size in bytes such as 1073741824, 500Mi or 20Gi; found '\(text)': \(reason.message)")
        }
        return nil
    }

    /// Why a size is unreadable.
    struct ByteSizeProblem: Error {
        var message: String
    }

    /// Bytes from `1073741824`, `500Mi`, `1.5Gi` or `20G` (binary Ki…Pi, decimal k…P); the
    /// value must be a whole number of bytes.
    static func parseByteSize(_ text: String) -> Result<Int64, ByteSizeProblem> {
        let units: [(String, Int64)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50),
            ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000), ("P", 1_000_000_000_000_000),
        ]
        var number = Substring(text)
        var multiplier: Int64 = 1
        if let unit = units.first(where: { text.hasSuffix($0.0) }) {
            number = number.dropLast(unit.0.count)
            multiplier = unit.1
        }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in !part.isEmpty && part.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard let whole = parts.first, isDigits(whole), parts.count == 1 || isDigits(parts[1]) else {
            return .failure(ByteSizeProblem(message: "expected digits, an optional fraction and a unit of Ki, Mi, Gi, Ti, Pi, k, M, G, T or P"))
        }
        let tooBig = ByteSizeProblem(message: "it is larger than \(Int64.max) bytes")
        guard whole.count <= 19, let integer = Int64(whole) else { return .failure(tooBig) }
        let (value, overflow) = integer.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return .failure(tooBig) }
        guard parts.count == 2 else { return .success(value) }
        // The fraction times the unit must come out whole: 1.5Gi does, 0.3 does not.
        let fraction = parts[1].prefix(18)
        guard parts[1].dropFirst(18).allSatisfy({ $0 == "0" }) else {
            return .failure(ByteSizeProblem(message: "it is not a whole number of bytes"))
        }
        var scale: Int64 = 1
        for _ in fraction { scale *= 10 }
        let numerator = Int64(fraction)!
        // numerator * multiplier / scale, without overflow: split the multiplier by the scale's gcd.
        var a = multiplier, b = scale
        while b != 0 { (a, b) = (b, a % b) }
        let divisor = scale / a
        guard numerator % divisor == 0 else { return .failure(ByteSizeProblem(message: "it is not a whole number of bytes")) }
        let (part, partOverflow) = (numerator / divisor).multipliedReportingOverflow(by: multiplier / a)
        let (sum, sumOverflow) = value.addingReportingOverflow(part)
        guard !partOverflow, !sumOverflow else { return .failure(tooBig) }
        return .success(sum)
    }

    /// True for `localhost` and the loopback addresses.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare.lowercased() == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
