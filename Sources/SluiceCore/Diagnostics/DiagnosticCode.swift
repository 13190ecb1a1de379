/// A stable identifier for a kind of diagnostic, shown in JSON output and usable in tooling.
///
/// It is a struct rather than an enum so that new codes never break API users.
public struct DiagnosticCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The YAML could not be parsed.
    public static let syntax = DiagnosticCode(rawValue: "yaml-syntax")
    /// A mapping holds the same key twice.
    public static let duplicateKey = DiagnosticCode(rawValue: "duplicate-key")
    /// A field the format does not define.
    public static let unknownField = DiagnosticCode(rawValue: "unknown-field")
    /// A value of the wrong YAML type.
    public static let wrongType = DiagnosticCode(rawValue: "wrong-type")
    /// A required field is absent.
    public static let missingField = DiagnosticCode(rawValue: "missing-field")
    /// A value of the right type outside what is allowed (range, pattern, enumeration).
    public static let invalidValue = DiagnosticCode(rawValue: "invalid-value")
    /// Fields that are each valid but contradict one another.
    public static let inconsistent = DiagnosticCode(rawValue: "inconsistent")
    /// Two manifests declare the same model.
    public static let duplicateModel = DiagnosticCode(rawValue: "duplicate-model")
    /// A path leaves the repository.
    public static let pathEscape = DiagnosticCode(rawValue: "path-escape")
    /// A size, depth or alias-expansion limit was exceeded.
    public static let limit = DiagnosticCode(rawValue: "limit-exceeded")
}
