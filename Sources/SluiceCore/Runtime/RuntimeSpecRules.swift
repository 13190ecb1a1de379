/// The consistency rules of a runtime spec, beyond its JSON shape.
public enum RuntimeSpecRules {
    /// Every rule broken by `spec`, with the field it concerns.
    public static func check(_ spec: RuntimeSpec) -> [RuntimeSpecIssue] {
        var issues: [RuntimeSpecIssue] = []
        var seenModels: Set<String> = []
        for (index, model) in spec.models.enumerated() {
            let path = "models[\(index)]"
            if let problem = nameProblem(model.name) {
                issues.append(RuntimeSpecIssue(field: "\(path).name", message: problem))
            } else if !seenModels.insert(model.name).inserted {
                issues.append(RuntimeSpecIssue(field: "\(path).name", message: "model '\(model.name)' is listed twice"))
            }
            issues += check(model, at: path)
        }
        return issues
    }

    private static func check(_ model: ModelRuntime, at path: String) -> [RuntimeSpecIssue] {
        var issues: [RuntimeSpecIssue] = []
        func add(_ field: String, _ message: String) { issues.append(RuntimeSpecIssue(field: field, message: message)) }
        if model.versions.isEmpty { add("\(path).versions", "expected at least one version") }
        var names: Set<String> = []
        for (index, version) in model.versions.enumerated() {
            let at = "\(path).versions[\(index)]"
            if let problem = nameProblem(version.name) {
                add("\(at).name", problem)
            } else if !names.insert(version.name).inserted {
                add("\(at).name", "version '\(version.name)' is listed twice")
            }
            switch (version.endpoint, version.runtime, version.artifact) {
            case (let endpoint?, nil, nil):
                if let problem = endpointProblem(endpoint) { add("\(at).endpoint", problem) }
            case (.some, _, _):
                add(at, "give either endpoint or runtime and artifact, not both")
            case (nil, nil, _):
                add("\(at).runtime", "missing: name a runtime from the data plane's config (or give an endpoint)")
            case (nil, _, nil):
                add("\(at).artifact", "missing: the artifact the runtime serves")
            case (nil, _?, let artifact?):
                if artifact.isEmpty || artifact.utf8.contains(0) {
                    add("\(at).artifact", "expected a non-empty path")
                }
            }
            if let digest = version.digest, let problem = Digest.parse(digest).error {
                add("\(at).digest", problem)
            }
        }
        let route = model.route
        var total = 0
        var overflow = false
        for (version, weight) in route.weights.sorted(by: { $0.key < $1.key }) {
            if !names.contains(version) {
                add("\(path).route.weights.\(version)", "names no version of model '\(model.name)'")
            }
            if !(0...100).contains(weight) {
                add("\(path).route.weights.\(version)", "expected 0–100, found \(weight)")
            }
            // Weights out of range are reported above; their sum must not trap (found by fuzzing).
            let (sum, overflowed) = total.addingReportingOverflow(weight)
            total = sum
            overflow = overflow || overflowed
        }
        if overflow {
            add("\(path).route.weights", "weights sum beyond the largest integer; they must sum to 100")
        } else if total != 100 {
            add("\(path).route.weights", "weights sum to \(total); they must sum to 100")
        }
        for (index, pin) in route.pins.enumerated() {
            let at = "\(path).route.pins[\(index)]"
            if !isHeaderName(pin.header) { add("\(at).header", "expected an HTTP header name") }
            if !names.contains(pin.version) { add("\(at).version", "names no version of model '\(model.name)'") }
        }
        if let sticky = route.stickyHeader, !isHeaderName(sticky) {
            add("\(path).route.stickyHeader", "expected an HTTP header name")
        }
        if let mirror = route.mirror {
            if !names.contains(mirror.version) {
                add("\(path).route.mirror.version", "names no version of model '\(model.name)'")
            }
            if !(0...100).contains(mirror.percent) || mirror.percent.isNaN {
                add("\(path).route.mirror.percent", "expected 0–100, found \(mirror.percent)")
            }
        }
        return issues
    }

    /// Why `name` cannot name a model or version, or nil when it can: it must be safe in
    /// a URL path segment, a file name and a Prometheus label.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "expected a non-empty name" }
        if name.utf8.count > 253 { return "expected at most 253 characters" }
        if name == "." || name == ".." { return "'\(name)' is not a name" }
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "~")
        }
        return allowed ? nil : "expected letters, digits, '-', '_', '.' and '~' only, found '\(name)'"
    }

    /// Why `endpoint` is not a usable upstream, or nil: `http://host:port` with no path.
    static func endpointProblem(_ endpoint: String) -> String? {
        guard let address = UpstreamAddress(url: endpoint) else {
            return "expected http://HOST:PORT (plain HTTP, no path), found '\(endpoint)'"
        }
        _ = address
        return nil
    }

    /// Whether `text` is an HTTP header field name (RFC 9110 token).
    public static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// A plain-HTTP upstream address.
public struct UpstreamAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` (a trailing slash is allowed, nothing else after it).
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        var rest = Substring(url.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        let host = String(rest[..<colon])
        guard !host.isEmpty, !host.contains("/"), !host.contains("@"), !host.contains(" ") else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { "http://\(host):\(port)" }
}
