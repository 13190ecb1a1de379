import Foundation

/// Signs the commits Sluice writes itself (`onAbort: revert`, `sluice rollback`) with the
/// operator's key, so that they pass the same check as everyone else's: the commit buffer
/// libgit2 built is signed by the real tool (`ssh-keygen -Y sign -n git`, or
/// `gpg --detach-sign --armor` in a throwaway home holding only that key). The key is a file
/// (mode 0600) whose path is passed; key material never reaches an argument list.
public actor CommitSigner {
    /// The format of the key, and so of the signatures.
    public let format: SignatureFormat
    private let tools: ToolRun
    /// The private key file (ssh), or the GnuPG home holding the imported key (gpg).
    private let key: String
    /// The fingerprint of the gpg key to sign with.
    private let gpgSigner: String?

    private init(format: SignatureFormat, tools: ToolRun, key: String, gpgSigner: String?) {
        self.format = format
        self.tools = tools
        self.key = key
        self.gpgSigner = gpgSigner
    }

    /// Prepares a signer: an SSH private key is used where it is (ssh-keygen refuses one
    /// others can read); an OpenPGP secret key (without a passphrase) is imported into a
    /// throwaway GnuPG home.
    /// - Throws: ``SignatureToolError`` when the file is missing, open to others or holds no key.
    public static func prepare(format: SignatureFormat, keyFile: String) async throws(SignatureToolError) -> CommitSigner {
        var info = stat()
        guard stat(keyFile, &info) == 0 else {
            throw SignatureToolError("\(keyFile) does not exist; expected a private key file (mode 0600)")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw SignatureToolError("\(keyFile) can be read by others; a private key must be readable by its owner only (chmod 600 \(keyFile))")
        }
        guard access(keyFile, R_OK) == 0 else { throw SignatureToolError("cannot read \(keyFile)") }
        let tools: ToolRun
        do {
            tools = ToolRun(directory: try ToolRun.privateDirectory(prefix: "sluice-sign"))
        } catch {
            throw SignatureToolError(error.description)
        }
        switch format {
        case .ssh:
            // `-y` reads the private key and prints its public half: a key that needs a
            // passphrase, or a file that is no key, is refused now rather than at the first revert.
            let check = try? await tools.run("ssh-keygen", ["-y", "-P", "", "-f", keyFile])
            guard let check, check.succeeded, check.outputText.hasPrefix("ssh-") else {
                try? FileManager.default.removeItem(atPath: tools.directory)
                throw SignatureToolError("\(keyFile) is no SSH private key ssh-keygen can use without a passphrase (\(check?.errorSummary ?? "ssh-keygen did not run"))")
            }
            return CommitSigner(format: .ssh, tools: tools, key: keyFile, gpgSigner: nil)
        case .gpg:
            let home = tools.directory + "/gnupg"
            do {
                try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
                let result = try await tools.run("gpg", CommitVerifier.gpgOptions(home: home) + ["--import", keyFile])
                // `IMPORT_OK FLAGS FINGERPRINT`: flag 16 marks a secret key.
                let fingerprint = Self.secretKeyFingerprint(in: result.outputText)
                guard let fingerprint else {
                    throw SignatureToolError("\(keyFile) holds no OpenPGP secret key gpg can import (\(result.errorSummary))")
                }
                return CommitSigner(format: .gpg, tools: tools, key: home, gpgSigner: fingerprint)
            } catch let error as SignatureToolError {
                try? FileManager.default.removeItem(atPath: tools.directory)
                throw error
            } catch {
                try? FileManager.default.removeItem(atPath: tools.directory)
                throw SignatureToolError("cannot import \(keyFile): \(error)")
            }
        }
    }

    /// The fingerprint of the first secret key gpg imported: its status line
    /// `IMPORT_OK FLAGS FINGERPRINT`, where flag 16 marks a secret key.
    static func secretKeyFingerprint(in status: String) -> String? {
        for line in status.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 4, fields[1] == "IMPORT_OK", let flags = Int(fields[2]), flags & 16 != 0 else { continue }
            return fields[3]
        }
        return nil
    }

    /// Stops the GnuPG agent a gpg signer started and removes the throwaway home.
    public func close() async {
        if format == .gpg {
            _ = try? await tools.run("gpgconf", ["--homedir", key, "--kill", "gpg-agent"])
        }
        try? FileManager.default.removeItem(atPath: tools.directory)
    }

    /// The armored signature of `payload` (a commit object's content).
    /// - Throws: ``SignatureToolError`` naming what the tool said.
    public func sign(_ payload: [UInt8]) async throws(SignatureToolError) -> [UInt8] {
        do {
            let input = try tools.writeFile("\(UUID().uuidString).payload", payload)
            defer { unlink(input) }
            let result: ToolRun.Result
            var signature: [UInt8]
            switch format {
            case .ssh:
                result = try await tools.run("ssh-keygen", ["-Y", "sign", "-n", "git", "-f", key], input: input)
                signature = result.output
            case .gpg:
                let output = "\(input).asc"
                defer { unlink(output) }
                result = try await tools.run(
                    "gpg", CommitVerifier.gpgOptions(home: key)
                        + ["--pinentry-mode", "loopback", "--local-user", gpgSigner ?? "", "--detach-sign", "--armor", "--output", output, input])
                signature = Array(FileManager.default.contents(atPath: output) ?? Data())
            }
            let text = String(decoding: signature, as: UTF8.self)
            guard result.succeeded, text.hasPrefix("-----BEGIN "), text.contains("-----END ") else {
                throw SignatureToolError("signing with \(format.rawValue) failed (\(result.errorSummary))")
            }
            if signature.last != 0x0A { signature.append(0x0A) }
            return signature
        } catch let error as SignatureToolError {
            throw error
        } catch {
            throw SignatureToolError("signing with \(format.rawValue): \(error)")
        }
    }
}
