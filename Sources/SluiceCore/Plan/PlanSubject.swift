/// What a plan compares and how its revisions were chosen, for the header that tells a user
/// whether the plan covers a commit or the uncommitted working tree.
public struct PlanSubject: Sendable, Hashable {
    /// What is planned to.
    public enum Target: Sendable, Hashable {
        /// A commit, named by the reference it was given as (`HEAD`, a branch, a tag, an id).
        case commit(reference: String)
        /// A local repository's working tree, uncommitted changes included.
        case workingTree
    }

    /// What the target is compared with.
    public enum Base: Sendable, Hashable {
        /// The first parent of the target commit (the default).
        case firstParent
        /// A revision given explicitly (`--from`).
        case reference(String)
        /// The commit HEAD names (for the working tree).
        case head
        /// Nothing: the target is a root commit, so everything it declares is new.
        case nothing
    }

    /// The target.
    public var target: Target
    /// The base.
    public var base: Base
    /// The manifests' directory in the repository ("" for the whole repository).
    public var directory: String

    /// Creates a subject.
    public init(target: Target, base: Base, directory: String = "") {
        self.target = target
        self.base = base
        self.directory = directory
    }

    /// The target's kind as JSON names it: `commit` or `workingTree`.
    public var targetKind: String {
        switch target {
        case .commit: return "commit"
        case .workingTree: return "workingTree"
        }
    }

    /// The base's kind as JSON names it: `firstParent`, `reference`, `head` or `nothing`.
    public var baseKind: String {
        switch base {
        case .firstParent: return "firstParent"
        case .reference: return "reference"
        case .head: return "head"
        case .nothing: return "nothing"
        }
    }

    /// The header's words: `commit def5678 (HEAD) against its first parent abc1234`, or
    /// `working tree against HEAD abc1234`.
    public func describe(from: String?, to: String) -> String {
        let target: String
        switch self.target {
        case .commit(let reference):
            target = Self.names(reference, id: to) ? "commit \(to)" : "commit \(to) (\(reference))"
        case .workingTree:
            target = "working tree" + (directory.isEmpty ? "" : " (\(directory)/)")
        }
        let base: String
        switch self.base {
        case .firstParent: base = from.map { "its first parent \($0)" } ?? "nothing deployed"
        case .reference(let reference): base = from.map { Self.names(reference, id: $0) ? $0 : "\($0) (\(reference))" } ?? reference
        case .head: base = from.map { "HEAD \($0)" } ?? "HEAD"
        case .nothing: base = "nothing deployed (a root commit)"
        }
        return "\(target) against \(base)"
    }

    /// Whether a reference is the commit id itself (whole or abbreviated), so it need not be repeated.
    private static func names(_ reference: String, id: String) -> Bool {
        reference.allSatisfy(\.isHexDigit) && (reference.hasPrefix(id) || id.hasPrefix(reference))
    }
}
