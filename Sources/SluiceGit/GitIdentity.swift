#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who writes a commit: the author and committer of the commits Sluice makes (`onAbort: revert`,
/// `sluice rollback`). Never taken from the host's git config, so that a commit the controller
/// writes says it came from Sluice, not from whoever configured git on that machine.
public struct GitIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The name.
    public var name: String
    /// The email.
    public var email: String

    /// Creates an identity; see ``problems(name:email:)`` for what git accepts.
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// `Name <email>`, as git writes it.
    public var description: String { "\(name) <\(email)>" }

    /// Which part of an identity a problem is about.
    public enum Field: String, Sendable, Equatable {
        case name, email
    }

    /// Why a name or email cannot be written into a commit.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The part at fault.
        public var field: Field
        /// What is wrong and what is expected.
        public var message: String
        public var description: String { "\(field.rawValue): \(message)" }
    }

    /// The default: `Sluice <sluice@HOSTNAME>`, with this host's name.
    public static func sluice(hostName: String = GitIdentity.hostName()) -> GitIdentity {
        GitIdentity(name: "Sluice", email: "sluice@\(hostName)")
    }

    /// This host's name, reduced to what an email's domain may hold; `localhost` when it has none.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let raw = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let kept = String(raw.unicodeScalars.filter {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-"
        })
        return kept.isEmpty ? "localhost" : kept
    }

    /// What is wrong with a name and email for a commit: git needs a non-empty name and email,
    /// and neither may hold `<`, `>` or a line break (they would forge the header's fields).
    public static func problems(name: String, email: String) -> [Problem] {
        var problems: [Problem] = []
        if let message = problem(in: name, what: "a name") { problems.append(Problem(field: .name, message: message)) }
        if let message = problem(in: email, what: "an email address") {
            problems.append(Problem(field: .email, message: message))
        } else if email.contains(where: \.isWhitespace) {
            problems.append(Problem(field: .email, message: "expected an email address without spaces, found '\(email)'"))
        }
        return problems
    }

    private static func problem(in value: String, what: String) -> String? {
        if value.allSatisfy(\.isWhitespace) { return "expected \(what), found an empty value" }
        if value.contains(where: \.isNewline) { return "expected \(what) on one line, found a line break" }
        if value.contains("<") || value.contains(">") {
            return "expected \(what) without '<' or '>', found '\(value)'"
        }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "expected \(what) without control characters"
        }
        return nil
    }

    /// Parses `Name <email>` (`sluice rollback --author`).
    /// - Throws: ``Problem`` naming the part at fault.
    public init(parsing text: String) throws(Problem) {
        guard let open = text.firstIndex(of: "<"), text.last == ">" else {
            throw Problem(field: .name, message: "expected 'Name <email>', found '\(text)'")
        }
        let name = text[..<open].trimmingSpaces
        let email = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        if let first = Self.problems(name: name, email: email).first { throw first }
        self.init(name: name, email: email)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
