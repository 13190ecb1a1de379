/// A commit a plan covers (from the base, excluded, to the target) and what its signature
/// says, so a reviewer sees before merging whether the controller would apply it
/// (`controller.verify`, docs/controller.md).
public struct PlanCommit: Sendable, Hashable {
    /// The state of a commit's signature.
    public enum Signature: String, Sendable, Hashable, CaseIterable {
        /// Signed by an allowed key.
        case verified
        /// Not signed.
        case unsigned
        /// Signed by a key that is not allowed.
        case unknownKey
        /// A signature that does not match the commit.
        case badSignature
        /// Signed, and not checked (no `controller.verify` in the config `sluice plan` read).
        case notChecked
    }

    /// The full commit id.
    public var commit: String
    /// The first line of its message.
    public var summary: String
    /// Its signature's state.
    public var signature: Signature
    /// Who signed (a verified one), or why it fails.
    public var detail: String

    /// Creates an entry.
    public init(commit: String, summary: String, signature: Signature, detail: String = "") {
        self.commit = commit
        self.summary = summary
        self.signature = signature
        self.detail = detail
    }

    /// The state in words, with the detail.
    public var signatureText: String {
        let words: String = switch signature {
        case .verified: "verified"
        case .unsigned: "unsigned"
        case .unknownKey: "unknown key"
        case .badSignature: "bad signature"
        case .notChecked: "signed, not checked"
        }
        return detail.isEmpty ? words : "\(words) (\(detail))"
    }
}
