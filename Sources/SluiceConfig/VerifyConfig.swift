import SluiceGit

/// `controller.verify`: the controller applies a commit only when it (and, in mode `all`,
/// every commit since the last verified head) is signed by one of these keys.
public struct VerifyConfig: Sendable, Equatable {
    /// Which commits must be signed.
    public var mode: VerificationMode = .all
    /// `gpg.keyring`: OpenPGP public keys (`gpg --export`, armored or binary).
    public var gpgKeyring: String?
    /// `ssh.allowedSigners`: git's allowed-signers file.
    public var sshAllowedSigners: String?

    /// Creates a policy; at least one of the key files is needed.
    public init(mode: VerificationMode = .all, gpgKeyring: String? = nil, sshAllowedSigners: String? = nil) {
        self.mode = mode
        self.gpgKeyring = gpgKeyring
        self.sshAllowedSigners = sshAllowedSigners
    }

    /// The config field that names a key file, for errors.
    public static func field(of file: CommitVerifier.KeyFile) -> String {
        switch file {
        case .gpgKeyring: "controller.verify.gpg.keyring"
        case .sshAllowedSigners: "controller.verify.ssh.allowedSigners"
        }
    }
}

/// `controller.git.signing`: the key the controller signs the commits it writes with.
public struct SigningConfig: Sendable, Equatable {
    /// The key's format.
    public var format: SignatureFormat
    /// The private key file (mode 0600): an SSH private key, or an OpenPGP secret key
    /// (`gpg --export-secret-keys`) without a passphrase.
    public var keyFile: String

    /// Creates a signing config.
    public init(format: SignatureFormat, keyFile: String) {
        self.format = format
        self.keyFile = keyFile
    }
}
