/// The two signature formats git writes and Sluice checks.
public enum SignatureFormat: String, Sendable, Codable, CaseIterable {
    /// OpenPGP (`gpg.format=openpgp`), checked with `gpg --verify` against the operator's keyring.
    case gpg
    /// SSH (`gpg.format=ssh`), checked with `ssh-keygen -Y verify` against an allowed-signers file.
    case ssh
}

/// Why a commit does not pass the signature check.
public enum UnverifiedReason: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The commit carries no signature.
    case unsigned
    /// Signed, but not by a key the operator allows (unknown, expired or revoked key, a format
    /// no keys are configured for).
    case unknownKey
    /// The signature does not match the commit (tampered content, a signature taken from
    /// another commit, or a block that is no signature).
    case badSignature

    /// The reason in words.
    public var description: String {
        switch self {
        case .unsigned: "unsigned"
        case .unknownKey: "signed by a key that is not allowed"
        case .badSignature: "its signature does not match it"
        }
    }
}

/// What the check says of one commit.
public enum SignatureVerdict: Sendable, Equatable {
    /// Signed by an allowed key: the format and who (an OpenPGP fingerprint, an SSH principal).
    case verified(SignatureFormat, signer: String)
    /// Not verified, with the reason and what the tool said.
    case unverified(UnverifiedReason, detail: String)

    /// Whether the commit passes.
    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}

/// Which commits must be signed before the controller applies a head.
public enum VerificationMode: String, Sendable, Codable, CaseIterable {
    /// The head and every commit since the last verified one (the default).
    case all
    /// The head only, for teams that squash.
    case head
}

/// The outcome of checking a head: verified, or the first commit that fails and why.
public enum HeadVerification: Sendable, Equatable {
    /// Every commit that had to be signed is.
    case verified(head: CommitID)
    /// `commit` (the head or one since the last verified head) failed.
    case unverified(head: CommitID, commit: CommitID, reason: UnverifiedReason, detail: String)
}

/// A signature tool that could not be set up or run (not a verdict: nothing is cached).
public struct SignatureToolError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
