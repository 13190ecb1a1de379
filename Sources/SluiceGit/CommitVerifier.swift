import Foundation

/// Checks commit signatures with the real tools, never with crypto of its own: `gpg --verify`
/// in a throwaway home holding only the operator's keyring, `ssh-keygen -Y` against the
/// operator's allowed-signers file. The keys are read once, by ``prepare(gpgKeyring:sshAllowedSigners:)``
/// (a changed file takes effect at the next start). Verdicts are cached in memory by commit
/// id, so a pass costs tool runs only for commits not seen before.
public actor CommitVerifier {
    /// The tools' private directory (0700): the GnuPG home, the copy of the allowed signers,
    /// each run's files.
    private let tools: ToolRun
    private let gpgHome: String?
    private let allowedSigners: String?
    private var verdicts: [CommitID: SignatureVerdict] = [:]
    /// How many verdicts the tools were run for (the cache's misses), for tests and benchmarks.
    public private(set) var toolChecks = 0

    private init(tools: ToolRun, gpgHome: String?, allowedSigners: String?) {
        self.tools = tools
        self.gpgHome = gpgHome
        self.allowedSigners = allowedSigners
    }

    deinit {
        try? FileManager.default.removeItem(atPath: tools.directory)
    }

    /// Which key files a verifier reads.
    public enum KeyFile: Sendable {
        /// The OpenPGP keyring (armored or binary public keys, as `gpg --export` writes them).
        case gpgKeyring
        /// The SSH allowed-signers file (git's `gpg.ssh.allowedSignersFile` format).
        case sshAllowedSigners
    }

    /// A key file that cannot be used: which one, and why.
    public struct SetupError: Error, Sendable, CustomStringConvertible {
        public var file: KeyFile
        public var message: String
        public var description: String { message }
    }

    /// Reads the keys: imports the OpenPGP keyring into a throwaway GnuPG home (the user's
    /// own keyring is never touched) and copies the allowed signers beside it.
    /// - Throws: ``SetupError`` naming the file that is missing, unreadable, or holds no key.
    public static func prepare(gpgKeyring: String?, sshAllowedSigners: String?) async throws(SetupError) -> CommitVerifier {
        let directory: String
        do {
            directory = try ToolRun.privateDirectory(prefix: "sluice-verify")
        } catch {
            throw SetupError(file: gpgKeyring != nil ? .gpgKeyring : .sshAllowedSigners, message: error.description)
        }
        let tools = ToolRun(directory: directory)
        do {
            var gpgHome: String?
            if let gpgKeyring {
                gpgHome = try await importKeyring(gpgKeyring, tools: tools)
            }
            var signers: String?
            if let sshAllowedSigners {
                signers = try copyAllowedSigners(sshAllowedSigners, tools: tools)
            }
            return CommitVerifier(tools: tools, gpgHome: gpgHome, allowedSigners: signers)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    private static func readKeyFile(_ path: String, _ file: KeyFile, what: String) throws(SetupError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SetupError(file: file, message: "\(path) does not exist; expected \(what)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SetupError(file: file, message: "cannot read \(path) (\(String(cString: strerror(errno)))); expected \(what)")
        }
        guard !data.isEmpty else { throw SetupError(file: file, message: "\(path) is empty; expected \(what)") }
        guard data.count <= 16 << 20 else { throw SetupError(file: file, message: "\(path) is over 16 MiB; expected \(what)") }
        return Array(data)
    }

    private static func importKeyring(_ path: String, tools: ToolRun) async throws(SetupError) -> String {
        let what = "OpenPGP public keys (gpg --export, armored or binary)"
        let bytes = try readKeyFile(path, .gpgKeyring, what: what)
        let home = tools.directory + "/gnupg"
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let copy = try tools.writeFile("keyring", bytes)
            defer { unlink(copy) }
            let result = try await tools.run("gpg", gpgOptions(home: home) + ["--import-options", "import-minimal", "--import", copy])
            let imported = result.outputText.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("[GNUPG:] IMPORT_OK") }
            guard result.succeeded || imported, imported else {
                throw SetupError(file: .gpgKeyring, message: "\(path) holds no OpenPGP public key gpg can import (\(result.errorSummary)); expected \(what)")
            }
        } catch let error as SetupError {
            throw error
        } catch {
            throw SetupError(file: .gpgKeyring, message: "cannot import \(path): \(error)")
        }
        return home
    }

    private static func copyAllowedSigners(_ path: String, tools: ToolRun) throws(SetupError) -> String {
        let what = "git's allowed-signers format (PRINCIPALS [OPTIONS] KEYTYPE BASE64KEY per line)"
        let bytes = try readKeyFile(path, .sshAllowedSigners, what: what)
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !lines.isEmpty else { throw SetupError(file: .sshAllowedSigners, message: "\(path) lists no signer; expected \(what)") }
        do {
            return try tools.writeFile("allowed_signers", bytes)
        } catch {
            throw SetupError(file: .sshAllowedSigners, message: "cannot copy \(path): \(error)")
        }
    }

    /// Options of every gpg run: batch, no options file, no key fetching, this home only.
    static func gpgOptions(home: String) -> [String] {
        ["--batch", "--no-tty", "--no-options", "--homedir", home, "--no-auto-key-retrieve", "--status-fd", "1"]
    }

    /// The verdict on `commit`, from the cache or the tools.
    /// - Throws: ``SignatureToolError`` when a tool could not run (nothing is cached then).
    public func verdict(on commit: CommitID, in source: GitSource) async throws -> SignatureVerdict {
        if let known = verdicts[commit] { return known }
        let signed = try await source.signedCommit(commit)
        let verdict = try await verify(signed)
        toolChecks += 1
        verdicts[commit] = verdict
        return verdict
    }

    /// Checks `head` and, in mode `all`, every commit since `base` (the last verified head);
    /// stops at the first commit that fails, oldest first.
    public func check(head: CommitID, since base: CommitID?, mode: VerificationMode, in source: GitSource) async throws -> HeadVerification {
        var commits = mode == .head ? [head] : try await source.commits(since: base, upTo: head)
        // A head moved back to an ancestor of the base has nothing "since" it, and is checked itself.
        if commits.last != head { commits.append(head) }
        for commit in commits {
            if case .unverified(let reason, let detail) = try await verdict(on: commit, in: source) {
                return .unverified(head: head, commit: commit, reason: reason, detail: detail)
            }
        }
        return .verified(head: head)
    }

    /// Checks one commit's signature with the tool of its format.
    func verify(_ signed: SignedCommit?) async throws(SignatureToolError) -> SignatureVerdict {
        guard let signed else { return .unverified(.unsigned, detail: "the commit carries no signature") }
        let text = String(decoding: signed.signature.prefix(64), as: UTF8.self)
        do {
            if text.hasPrefix("-----BEGIN PGP SIGNATURE-----") {
                guard let gpgHome else { return .unverified(.unknownKey, detail: "an OpenPGP signature, and no gpg keyring is configured") }
                return try await verifyGPG(signed, home: gpgHome)
            }
            if text.hasPrefix("-----BEGIN SSH SIGNATURE-----") {
                guard let allowedSigners else { return .unverified(.unknownKey, detail: "an SSH signature, and no allowed signers are configured") }
                return try await verifySSH(signed, allowedSigners: allowedSigners)
            }
            if text.hasPrefix("-----BEGIN SIGNED MESSAGE-----") {
                return .unverified(.unknownKey, detail: "an X.509 signature; only OpenPGP and SSH signatures are checked")
            }
            return .unverified(.badSignature, detail: "the signature block is neither OpenPGP nor SSH")
        } catch {
            throw SignatureToolError("checking a signature: \(error)")
        }
    }

    /// The signature and the signed bytes written to files of their own (mode 0600).
    private func files(of signed: SignedCommit) throws(ToolRun.Failure) -> (signature: String, payload: String) {
        let name = UUID().uuidString
        let signature = try tools.writeFile("\(name).sig", signed.signature)
        do {
            return (signature, try tools.writeFile("\(name).payload", signed.payload))
        } catch {
            unlink(signature)
            throw error
        }
    }

    /// `gpg --verify SIG DATA`, judged by its status lines (never by its exit status alone):
    /// one good and valid signature, and nothing bad beside it.
    private func verifyGPG(_ signed: SignedCommit, home: String) async throws(ToolRun.Failure) -> SignatureVerdict {
        let (signature, payload) = try files(of: signed)
        defer {
            unlink(signature)
            unlink(payload)
        }
        let result = try await tools.run("gpg", Self.gpgOptions(home: home) + ["--trust-model", "always", "--verify", signature, payload])
        var keywords: [Substring: [Substring]] = [:]
        for line in result.outputText.split(whereSeparator: \.isNewline) where line.hasPrefix("[GNUPG:] ") {
            let fields = line.dropFirst("[GNUPG:] ".count).split(separator: " ")
            if let keyword = fields.first { keywords[keyword] = Array(fields.dropFirst()) }
        }
        for (keyword, meaning) in [("EXPKEYSIG", "its key has expired"), ("REVKEYSIG", "its key was revoked"), ("EXPSIG", "the signature has expired")]
        where keywords[Substring(keyword)] != nil {
            return .unverified(.unknownKey, detail: "OpenPGP signature: \(meaning)")
        }
        if keywords["BADSIG"] != nil { return .unverified(.badSignature, detail: "OpenPGP signature does not match the commit (gpg: BAD signature)") }
        if keywords["NO_PUBKEY"] != nil || keywords["ERRSIG"]?.last == "9" {
            let key = keywords["NO_PUBKEY"]?.first ?? keywords["ERRSIG"]?.first ?? "?"
            return .unverified(.unknownKey, detail: "OpenPGP signature by key \(key), which is not in the keyring")
        }
        if result.succeeded, keywords["GOODSIG"] != nil, let fingerprint = keywords["VALIDSIG"]?.first, keywords["ERRSIG"] == nil {
            return .verified(.gpg, signer: String(fingerprint))
        }
        return .unverified(.badSignature, detail: "gpg could not check the OpenPGP signature (\(result.errorSummary))")
    }

    /// `ssh-keygen -Y check-novalidate` (does the signature match the commit?), then
    /// `find-principals` (is its key allowed?), then `verify` as that principal in the `git`
    /// namespace (as `git verify-commit` does).
    private func verifySSH(_ signed: SignedCommit, allowedSigners: String) async throws(ToolRun.Failure) -> SignatureVerdict {
        let (signature, payload) = try files(of: signed)
        defer {
            unlink(signature)
            unlink(payload)
        }
        let matches = try await tools.run("ssh-keygen", ["-Y", "check-novalidate", "-n", "git", "-s", signature], input: payload)
        guard matches.succeeded else {
            return .unverified(.badSignature, detail: "SSH signature does not match the commit (\(matches.errorSummary))")
        }
        let found = try await tools.run("ssh-keygen", ["-Y", "find-principals", "-f", allowedSigners, "-s", signature])
        guard found.succeeded, let principal = found.outputText.split(whereSeparator: \.isNewline).first.map(String.init), !principal.isEmpty else {
            return .unverified(.unknownKey, detail: "SSH signature by a key that is not in the allowed signers")
        }
        let verified = try await tools.run(
            "ssh-keygen", ["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", "git", "-s", signature], input: payload)
        guard verified.succeeded else {
            return .unverified(.unknownKey, detail: "SSH signature by \(principal), whose key is not allowed for git signatures now (\(verified.errorSummary))")
        }
        return .verified(.ssh, signer: principal)
    }
}
