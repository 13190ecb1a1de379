import Foundation

/// A real signing key made for one test in a temporary directory: an OpenPGP key in a GnuPG
/// home of its own (`gpg --quick-gen-key`, no passphrase) or an ed25519 SSH key
/// (`ssh-keygen -N ''`), with the files an operator would give Sluice (a public keyring, an
/// allowed-signers file, the private key) and the git options that sign commits with it.
public final class SigningKeys: @unchecked Sendable {
    /// The two formats.
    public enum Format: String, Sendable {
        case gpg, ssh
    }

    /// Whether gpg, gpgconf and ssh-keygen are installed (scripts/setup.sh installs them).
    public static let toolsAvailable = ["/usr/bin/gpg", "/usr/bin/gpgconf", "/usr/bin/ssh-keygen"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    public let format: Format
    public let directory: URL
    /// gpg: the public keyring (`gpg --export --armor`); ssh: the allowed-signers file.
    public let trustFile: String
    /// gpg: the secret key (`gpg --export-secret-keys`); ssh: the private key. Mode 0600.
    public let privateKeyFile: String
    /// `git -c` options that make `git commit -S` sign with this key.
    public let gitOptions: [String]
    /// The OpenPGP fingerprint, or the SSH principal.
    public let identity: String
    private let gnupgHome: String?

    private init(format: Format, directory: URL, trustFile: String, privateKeyFile: String, gitOptions: [String], identity: String, gnupgHome: String?) {
        self.format = format
        self.directory = directory
        self.trustFile = trustFile
        self.privateKeyFile = privateKeyFile
        self.gitOptions = gitOptions
        self.identity = identity
        self.gnupgHome = gnupgHome
    }

    /// Makes a key of `format` for `email`.
    public static func make(_ format: Format, email: String = "signer@example.com") async throws -> SigningKeys {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-keys-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        switch format {
        case .ssh:
            let key = directory.appendingPathComponent("id_ed25519").path
            try await tool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", email, "-f", key])
            let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let signers = directory.appendingPathComponent("allowed_signers").path
            try Data("\(email) namespaces=\"git\" \(publicKey)\n".utf8).write(to: URL(fileURLWithPath: signers))
            return SigningKeys(
                format: .ssh, directory: directory, trustFile: signers, privateKeyFile: key,
                gitOptions: ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key)"], identity: email, gnupgHome: nil)
        case .gpg:
            let home = directory.appendingPathComponent("gnupg").path
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let batch = ["--batch", "--homedir", home, "--pinentry-mode", "loopback", "--passphrase", ""]
            try await tool("/usr/bin/gpg", batch + ["--quick-gen-key", "Signer <\(email)>", "ed25519", "sign", "never"])
            let listing = try await tool("/usr/bin/gpg", ["--batch", "--homedir", home, "--with-colons", "--list-secret-keys"])
            guard let fingerprint = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first.map(String.init) else {
                throw FixtureError(message: "gpg made no key: \(listing)")
            }
            let keyring = directory.appendingPathComponent("keyring.asc").path
            try await tool("/usr/bin/gpg", ["--batch", "--homedir", home, "--armor", "--output", keyring, "--export", fingerprint])
            let secret = directory.appendingPathComponent("secret.gpg").path
            try await tool("/usr/bin/gpg", batch + ["--output", secret, "--export-secret-keys", fingerprint])
            chmod(secret, 0o600)
            // git runs gpg through this, so it signs from the key's own home.
            let wrapper = directory.appendingPathComponent("gpg").path
            try Data("#!/bin/sh\nexec /usr/bin/gpg --homedir '\(home)' \"$@\"\n".utf8).write(to: URL(fileURLWithPath: wrapper))
            chmod(wrapper, 0o700)
            return SigningKeys(
                format: .gpg, directory: directory, trustFile: keyring, privateKeyFile: secret,
                gitOptions: ["-c", "gpg.format=openpgp", "-c", "gpg.program=\(wrapper)", "-c", "user.signingkey=\(fingerprint)"],
                identity: fingerprint, gnupgHome: home)
        }
    }

    /// Runs `body` with new keys of `formats` (in order), closing them afterwards, when it throws too.
    public static func using<T>(_ formats: [Format], _ body: ([SigningKeys]) async throws -> T) async throws -> T {
        var made: [SigningKeys] = []
        do {
            for (index, format) in formats.enumerated() { made.append(try await make(format, email: "signer\(index)@example.com")) }
            let result = try await body(made)
            for keys in made { await keys.close() }
            return result
        } catch {
            for keys in made { await keys.close() }
            throw error
        }
    }

    /// Stops the key's GnuPG agent and removes its files.
    public func close() async {
        if let gnupgHome { _ = try? await Self.tool("/usr/bin/gpgconf", ["--homedir", gnupgHome, "--kill", "gpg-agent"]) }
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    private static func tool(_ program: String, _ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(URL(fileURLWithPath: program), arguments, timeout: .seconds(60))
        guard result.status == 0 else { throw FixtureError(message: "\(program) \(arguments.joined(separator: " ")): \(result.output)") }
        return result.output
    }
}

extension GitFixture {
    /// Writes the files, stages everything and commits signed with `keys` (real git, `commit -S`).
    @discardableResult
    public func signedCommit(_ message: String, files: [String: String] = [:], keys: SigningKeys) throws -> String {
        for (path, text) in files { try write(path, text) }
        try git(["add", "-A"])
        try git(keys.gitOptions + ["commit", "-q", "-S", "--allow-empty", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }
}

extension GitFixture {
    /// Writes a copy of `commit` whose `gpgsig` header is the one of `donor` (a signature made
    /// for other content); returns its id.
    public func forge(_ commit: String, signatureFrom donor: String) throws -> String {
        let target = Self.withoutSignature(try git(["cat-file", "commit", commit]))
        let block = Self.signatureBlock(try git(["cat-file", "commit", donor]))
        guard let end = target.range(of: "\n\n") else { throw FixtureError(message: "no message in \(commit)") }
        return try writeCommitObject(String(target[..<end.lowerBound]) + "\n" + block + "\n" + String(target[end.upperBound...]))
    }

    /// Writes a copy of `commit` with `old` replaced by `new` in its text, signature kept.
    public func forge(_ commit: String, replacing old: String, with new: String) throws -> String {
        try writeCommitObject(try git(["cat-file", "commit", commit]).replacingOccurrences(of: old, with: new))
    }

    private func writeCommitObject(_ text: String) throws -> String {
        let file = url.appendingPathComponent(".git/forged-\(UUID().uuidString)")
        try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try git(["hash-object", "-t", "commit", "-w", file.path])
    }

    private static func signatureBlock(_ text: String) -> String {
        var block = ""
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("gpgsig ") { inside = true } else if inside, !line.hasPrefix(" ") { break }
            if inside { block += line + "\n" }
        }
        return block
    }

    private static func withoutSignature(_ text: String) -> String {
        let block = signatureBlock(text)
        return block.isEmpty ? text : text.replacingOccurrences(of: block, with: "")
    }
}
