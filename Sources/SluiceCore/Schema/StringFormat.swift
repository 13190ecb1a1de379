/// A constrained kind of string. Each case carries the check the validator runs, the
/// ECMA-262 pattern the JSON Schema exports, and the sentence that tells users what is expected,
/// so the three can never disagree about what they describe.
public enum StringFormat: String, Sendable, CaseIterable {
    /// A DNS-1123 label: model, runtime and monitor names.
    case dnsLabel
    /// A version name: like a label, but dots are allowed (`v2.1`).
    case versionName
    /// A duration such as `30s`, `5m`, `1h30m` or `250ms`.
    case duration
    /// A content digest: `sha256:` and 64 hex digits, or `sha512:` and 128.
    case digest
    /// A repository path (a file, or a directory ending in `/`) or a URI: `s3://`, `https://`,
    /// `models:/` (MLflow), and `gs://`, `hf://`, `pvc://` for a cluster runtime
    /// (``ArtifactReference``).
    case artifact
    /// A repository-relative path to a file (baselines).
    case repositoryPath
    /// A label key, Kubernetes-style: an optional DNS prefix and `/`, then a name.
    case labelKey
    /// A label value: empty, or a name of up to 63 characters.
    case labelValue
    /// An HTTP header name.
    case headerName
    /// A model input (feature) name as it appears in V2 requests.
    case featureName
    /// A five-column cron schedule (``CronSchedule``): `0 22 * * FRI`, `*/15 9-17 * * MON-FRI`.
    case cronSchedule
    /// An IANA time-zone name (``ZoneName``): `UTC`, `Europe/Berlin`.
    case timeZone

    /// Whether ``pattern`` accepts exactly what ``problem(in:)`` accepts. A cron schedule's
    /// ranges and a time zone's list of names are beyond a regular expression: their patterns
    /// accept every valid value and catch only the grossest mistakes, and `sluice validate`
    /// says the rest.
    public var patternIsExact: Bool { self != .cronSchedule && self != .timeZone }

    /// The sentence shown after "expected".
    public var expectation: String {
        switch self {
        case .dnsLabel:
            return "a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
        case .versionName:
            return "a version name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 63 characters"
        case .duration:
            return "a duration such as 30s, 5m, 1h30m or 250ms (units ms, s, m, h)"
        case .digest:
            return "a digest 'sha256:' followed by 64 lowercase hex digits, or 'sha512:' followed by 128"
        case .artifact:
            return "a path relative to the repository root (no leading '/', no '..') of \(PathRules.pathCharacters), or a URI: s3://BUCKET/KEY, https://HOST/PATH, models:/NAME/VERSION, models:/NAME@ALIAS, gs://, hf:// or pvc://"
        case .repositoryPath:
            return "a path relative to the repository root (no leading '/', no '..', no URI)"
        case .labelKey:
            return "a label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        case .labelValue:
            return "a label value: empty, or up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        case .headerName:
            return "an HTTP header name: letters, digits and '-'"
        case .featureName:
            return "an input name: 1 to 256 characters with no control characters"
        case .cronSchedule:
            return "a cron schedule of five columns: minute hour day-of-month month day-of-week, such as '0 22 * * FRI'"
        case .timeZone:
            return "an IANA time zone name such as UTC, Europe/Berlin or America/New_York"
        }
    }

    /// The ECMA-262 regular expression exported in the JSON Schema.
    public var pattern: String {
        switch self {
        case .dnsLabel: return "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
        case .versionName: return "^[a-z0-9]([-.a-z0-9]{0,61}[a-z0-9])?$"
        case .duration: return "^([0-9]+(ms|s|m|h))+$"
        case .digest: return "^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$"
        case .artifact: return Self.artifactPattern
        case .repositoryPath:
            return "^(?![/~])(?![A-Za-z][-+.A-Za-z0-9]*:)(?!(.*/)?\\.\\.(/|$))[^\\\\\\x00-\\x1f]+$"
        case .labelKey:
            return "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$"
        case .labelValue: return "^([A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?)?$"
        case .headerName: return "^[A-Za-z0-9][-A-Za-z0-9]*$"
        case .featureName: return "^[^\\x00-\\x1f]{1,256}$"
        case .cronSchedule: return "^[ \\t]*(@[A-Za-z]+|[-*/,?A-Za-z0-9]+([ \\t]+[-*/,?A-Za-z0-9]+){4})[ \\t]*$"
        case .timeZone: return "^[A-Za-z][-+_/A-Za-z0-9]*$"
        }
    }

    /// Checks `text`; returns nil when it conforms, else what exactly is wrong.
    public func problem(in text: String) -> String? {
        switch self {
        case .dnsLabel: return Self.nameProblem(text, extra: [], allowDots: false)
        case .versionName: return Self.nameProblem(text, extra: [], allowDots: true)
        case .duration: return Duration.parse(text).error
        case .digest: return Digest.parse(text).error
        case .artifact: return ArtifactReference.parse(text).problem
        case .repositoryPath: return PathRules.repositoryPathProblem(text)
        case .labelKey: return Self.labelKeyProblem(text)
        case .labelValue: return text.isEmpty ? nil : Self.labelNameProblem(text)
        case .headerName:
            guard let first = text.unicodeScalars.first, first.isASCIIAlphanumeric,
                text.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "-" })
            else { return "'\(text)' is not an HTTP header name" }
            return nil
        case .featureName:
            if text.isEmpty { return "an input name may not be empty" }
            if text.count > 256 { return "an input name may have at most 256 characters" }
            if text.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                return "an input name may not contain control characters"
            }
            return nil
        case .cronSchedule:
            if case .failure(let error) = CronSchedule.parse(text) { return error.description }
            return nil
        case .timeZone: return ZoneName.problem(text)
        }
    }

    static func nameProblem(_ text: String, extra: Set<Unicode.Scalar>, allowDots: Bool) -> String? {
        if text.isEmpty { return "a name may not be empty" }
        if text.unicodeScalars.count > 63 { return "'\(text)' is longer than 63 characters" }
        for scalar in text.unicodeScalars {
            let allowed =
                (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "-"
                || (allowDots && scalar == ".")
            if !allowed {
                let what = scalar >= "A" && scalar <= "Z" ? "uppercase letters" : "'\(scalar)'"
                return "'\(text)' contains \(what)" + (suggestedName(text, allowDots: allowDots).map { "; try '\($0)'" } ?? "")
            }
        }
        let first = text.unicodeScalars.first!, last = text.unicodeScalars.last!
        if !first.isLowercaseAlphanumeric || !last.isLowercaseAlphanumeric {
            return "'\(text)' must start and end with a lowercase letter or digit"
        }
        return nil
    }

    /// A valid name close to `text`: lowercased, other characters turned into '-'.
    static func suggestedName(_ text: String, allowDots: Bool) -> String? {
        var scalars = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            let keep = scalar.isLowercaseAlphanumeric || scalar == "-" || (allowDots && scalar == ".")
            scalars.append(keep ? scalar : "-")
        }
        var name = String(scalars)
        while let first = name.unicodeScalars.first, !first.isLowercaseAlphanumeric { name.removeFirst() }
        while let last = name.unicodeScalars.last, !last.isLowercaseAlphanumeric { name.removeLast() }
        name = String(name.prefix(63))
        return name.isEmpty || nameProblem(name, extra: [], allowDots: allowDots) != nil ? nil : name
    }

    static func labelNameProblem(_ text: String) -> String? {
        if text.unicodeScalars.count > 63 { return "'\(text)' is longer than 63 characters" }
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
            first.isASCIIAlphanumeric, last.isASCIIAlphanumeric,
            text.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" || $0 == "." })
        else { return "'\(text)' is not a valid label name" }
        return nil
    }

    static func labelKeyProblem(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "'\(text)' has more than one '/'" }
        if parts.count == 2 {
            let prefix = String(parts[0])
            let labels = prefix.split(separator: ".", omittingEmptySubsequences: false)
            if prefix.isEmpty || prefix.count > 253
                || labels.contains(where: { nameProblem(String($0), extra: [], allowDots: false) != nil })
            {
                return "'\(prefix)' is not a DNS prefix"
            }
        }
        return labelNameProblem(String(parts.last!))
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        (self >= "a" && self <= "z") || (self >= "A" && self <= "Z") || (self >= "0" && self <= "9")
    }
    var isLowercaseAlphanumeric: Bool {
        (self >= "a" && self <= "z") || (self >= "0" && self <= "9")
    }
}
