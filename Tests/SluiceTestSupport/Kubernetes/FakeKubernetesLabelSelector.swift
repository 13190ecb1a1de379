import Foundation

/// A label selector as the API server parses it (k8s.io/apimachinery/pkg/labels/selector.go):
/// comma-joined requirements `k=v`, `k==v`, `k!=v`, `k` (exists) and `!k` (does not exist).
/// Set-based requirements (`in`, `notin`) are not supported by the fake and answer 400.
struct FakeKubernetesLabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
    }

    var requirements: [Requirement]

    /// Parses `text`; nil with the offending term when it is not a selector the fake knows.
    init(parsing text: String) throws(FakeKubernetesFailure) {
        requirements = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let term = raw.trimmingCharacters(in: .whitespaces)
            guard !term.isEmpty else { throw .badRequest("unable to parse requirement: found '', expected: identifier") }
            if let range = term.range(of: "!=") {
                requirements.append(.notEquals(Self.key(term[..<range.lowerBound]), Self.key(term[range.upperBound...])))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                requirements.append(.equals(Self.key(term[..<range.lowerBound]), Self.key(term[range.upperBound...])))
            } else if term.hasPrefix("!") {
                requirements.append(.notExists(Self.key(term.dropFirst())))
            } else if term.contains(" ") || term.contains("(") {
                throw .badRequest("unable to parse requirement: \(term): set-based requirements are not supported by the fake API server")
            } else {
                requirements.append(.exists(term))
            }
        }
    }

    private static func key(_ text: Substring) -> String { text.trimmingCharacters(in: .whitespaces) }

    /// Whether `labels` satisfy every requirement.
    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .exists(let key): return labels[key] != nil
            case .notExists(let key): return labels[key] == nil
            }
        }
    }
}
