/// An error from the git layer: what failed, libgit2's code and class, and its message with
/// any credential removed.
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// A kind of failure, extensible without breaking users (libgit2 adds codes over time).
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public var description: String { Self.names[rawValue] ?? "error \(rawValue)" }

        /// A generic failure (`GIT_ERROR`).
        public static let generic = Code(rawValue: -1)
        /// An object, reference or path does not exist (`GIT_ENOTFOUND`).
        public static let notFound = Code(rawValue: -3)
        /// It already exists (`GIT_EEXISTS`).
        public static let exists = Code(rawValue: -4)
        /// A revision is ambiguous (`GIT_EAMBIGUOUS`).
        public static let ambiguous = Code(rawValue: -5)
        /// A push was not a fast-forward (`GIT_ENONFASTFORWARD`).
        public static let nonFastForward = Code(rawValue: -11)
        /// A revision spec could not be parsed (`GIT_EINVALIDSPEC`).
        public static let invalidSpec = Code(rawValue: -12)
        /// Merge conflicts (`GIT_ECONFLICT`).
        public static let conflict = Code(rawValue: -13)
        /// A reference changed underneath (`GIT_EMODIFIED`).
        public static let modified = Code(rawValue: -15)
        /// Authentication failed (`GIT_EAUTH`).
        public static let authentication = Code(rawValue: -16)
        /// A certificate was rejected (`GIT_ECERTIFICATE`).
        public static let certificate = Code(rawValue: -17)
        /// HEAD points to a branch with no commits (`GIT_EUNBORNBRANCH`).
        public static let unbornBranch = Code(rawValue: -9)
        /// Sluice refused: the change would be invalid, the branch moved, the revert conflicts.
        public static let refused = Code(rawValue: -1000)

        private static let names: [Int32: String] = [
            -1: "error", -3: "not found", -4: "exists", -5: "ambiguous", -9: "unborn branch",
            -11: "non-fast-forward", -12: "invalid spec", -13: "conflict", -15: "modified",
            -16: "authentication", -17: "certificate", -1000: "refused",
        ]
    }

    /// The kind of failure.
    public var code: Code
    /// libgit2's error class (`GIT_ERROR_NET`, …), 0 when not from libgit2.
    public var errorClass: Int32
    /// What went wrong, readable and free of secrets.
    public var message: String
    /// The libgit2 function (or Sluice operation) that failed.
    public var function: String

    /// Creates an error.
    public init(code: Code, errorClass: Int32 = 0, message: String, function: String) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.function = function
    }

    /// A refusal by Sluice itself, with a message for the user.
    public static func refused(_ message: String, function: String = #function) -> GitError {
        GitError(code: .refused, message: message, function: function)
    }

    public var description: String {
        code == .refused ? message : "\(message) (\(function): \(code))"
    }
}
