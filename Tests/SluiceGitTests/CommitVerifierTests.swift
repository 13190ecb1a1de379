import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Commit signatures checked with the real tools: real keys made in temporary directories,
/// commits signed by real git (`commit -S`), forgeries written with `git hash-object`.
@Suite(.enabled(if: SigningKeys.toolsAvailable, "needs gpg, gpgconf and ssh-keygen (scripts/setup.sh installs them)"), .timeLimit(.minutes(10)))
struct CommitVerifierTests {
    static func verifier(_ keys: SigningKeys) async throws -> CommitVerifier {
        keys.format == .gpg
            ? try await CommitVerifier.prepare(gpgKeyring: keys.trustFile, sshAllowedSigners: nil)
            : try await CommitVerifier.prepare(gpgKeyring: nil, sshAllowedSigners: keys.trustFile)
    }

    @Test("signed, unsigned, unknown key, grafted and tampered commits", arguments: [SigningKeys.Format.gpg, .ssh])
    func verdicts(format: SigningKeys.Format) async throws {
        try await SigningKeys.using([format, format]) { made in try await verdicts(keys: made[0], stranger: made[1]) }
    }

    private func verdicts(keys: SigningKeys, stranger: SigningKeys) async throws {
        let format = keys.format
        let repo = try GitFixture()
        let signed = try repo.signedCommit("signed", files: ["a.txt": "a\n"], keys: keys)
        let unsigned = try repo.commit("unsigned", files: ["b.txt": "b\n"])
        let foreign = try repo.signedCommit("by a stranger", files: ["c.txt": "c\n"], keys: stranger)
        let other = try repo.signedCommit("signed too", files: ["d.txt": "d\n"], keys: keys)
        // A signature taken from another commit, and a signed commit whose message was changed.
        let grafted = try repo.forge(other, signatureFrom: signed)
        let tampered = try repo.forge(signed, replacing: "\n\nsigned", with: "\n\ndeploy everything")
        #expect(tampered != signed)

        let verifier = try await Self.verifier(keys)
        let source = try GitSource.open(path: repo.path)
        let verdict = { (commit: String) async throws -> SignatureVerdict in
            try await verifier.verdict(on: CommitID(hex: commit), in: source)
        }
        #expect(try await verdict(signed) == .verified(format == .gpg ? .gpg : .ssh, signer: keys.identity))
        #expect(try await verdict(other).isVerified)
        #expect(try await verdict(unsigned) == .unverified(.unsigned, detail: "the commit carries no signature"))
        #expect(try await reason(verdict(foreign)) == .unknownKey)
        #expect(try await reason(verdict(grafted)) == .badSignature)
        #expect(try await reason(verdict(tampered)) == .badSignature)
        // Verdicts are cached by commit id: asking again runs no tool.
        let runs = await verifier.toolChecks
        _ = try await verdict(signed)
        _ = try await verdict(grafted)
        #expect(await verifier.toolChecks == runs)
    }

    @Test("mode all refuses an unsigned commit under a signed head; mode head accepts it; a moved-back head is checked itself")
    func modes() async throws {
        try await SigningKeys.using([.ssh]) { made in try await modes(keys: made[0]) }
    }

    private func modes(keys: SigningKeys) async throws {
        let repo = try GitFixture()
        let base = try repo.signedCommit("base", files: ["a.txt": "1\n"], keys: keys)
        let middle = try repo.commit("unsigned middle", files: ["a.txt": "2\n"])
        let head = try repo.signedCommit("signed head", files: ["a.txt": "3\n"], keys: keys)
        let verifier = try await Self.verifier(keys)
        let source = try GitSource.open(path: repo.path)
        let all = try await verifier.check(head: CommitID(hex: head), since: CommitID(hex: base), mode: .all, in: source)
        guard case .unverified(_, let commit, let why, _) = all else {
            Issue.record("expected the unsigned middle commit to be refused, got \(all)")
            return
        }
        #expect(commit.hex == middle)
        #expect(why == .unsigned)
        #expect(try await verifier.check(head: CommitID(hex: head), since: CommitID(hex: base), mode: .head, in: source) == .verified(head: CommitID(hex: head)))
        // A head moved back to an older unsigned commit is refused, though nothing is "since" the base.
        let back = try await verifier.check(head: CommitID(hex: middle), since: CommitID(hex: head), mode: .all, in: source)
        #expect(back == .unverified(head: CommitID(hex: middle), commit: CommitID(hex: middle), reason: .unsigned, detail: "the commit carries no signature"))
    }

    @Test("a commit Sluice writes with a signer passes the check and git's own verify-commit", arguments: [SigningKeys.Format.gpg, .ssh])
    func signedByTheSigner(format: SigningKeys.Format) async throws {
        try await SigningKeys.using([format]) { made in try await signedByTheSigner(keys: made[0]) }
    }

    private func signedByTheSigner(keys: SigningKeys) async throws {
        let format = keys.format
        let repo = try GitFixture()
        try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        let signer = try await CommitSigner.prepare(format: format == .gpg ? .gpg : .ssh, keyFile: keys.privateKeyFile)
        let source = try GitSource.open(path: repo.path)
        let rollback = ManifestRollback(
            model: "fraud", branch: "main", identity: GitIdentity(name: "Sluice", email: "sluice@example.com"), push: false, signer: signer)
        let outcome: ManifestRollback.Outcome
        do {
            outcome = try await rollback.run(reader: ManifestReader(source: source, directory: "manifests"))
            await signer.close()
        } catch {
            await signer.close()
            throw error
        }
        let verifier = try await Self.verifier(keys)
        #expect(try await verifier.verdict(on: outcome.commit, in: source).isVerified)
        var options = keys.gitOptions
        if format == .ssh { options += ["-c", "gpg.ssh.allowedSignersFile=\(keys.trustFile)"] }
        _ = try repo.git(options + ["verify-commit", outcome.commit.hex])
    }

    @Test("a key file that is missing, a directory or holds no key is refused, naming the file")
    func badKeyFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-badkeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let junk = directory.appendingPathComponent("junk.asc").path
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: junk))
        let comments = directory.appendingPathComponent("allowed_signers").path
        try Data("# nobody yet\n\n".utf8).write(to: URL(fileURLWithPath: comments))
        let cases: [(String?, String?, CommitVerifier.KeyFile, String)] = [
            (directory.path + "/missing.asc", nil, .gpgKeyring, "does not exist"),
            (junk, nil, .gpgKeyring, "holds no OpenPGP public key"),
            (nil, directory.path, .sshAllowedSigners, "cannot read"),
            (nil, comments, .sshAllowedSigners, "lists no signer"),
        ]
        for (keyring, signers, file, words) in cases {
            do {
                _ = try await CommitVerifier.prepare(gpgKeyring: keyring, sshAllowedSigners: signers)
                Issue.record("expected \(keyring ?? signers ?? "") to be refused")
            } catch {
                #expect(error.file == file)
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
        do {
            _ = try await CommitSigner.prepare(format: .ssh, keyFile: directory.path + "/missing")
            Issue.record("expected a missing signing key to be refused")
        } catch {
            #expect(error.message.contains("does not exist"))
        }
        chmod(junk, 0o600)
        for format in [SignatureFormat.ssh, .gpg] {
            do {
                _ = try await CommitSigner.prepare(format: format, keyFile: junk)
                Issue.record("expected a file that is no key to be refused for \(format)")
            } catch {
                #expect(error.message.contains(format == .ssh ? "is no SSH private key" : "holds no OpenPGP secret key"), "\(error.message)")
            }
        }
        chmod(junk, 0o644)
        do {
            _ = try await CommitSigner.prepare(format: .ssh, keyFile: junk)
            Issue.record("expected a signing key others can read to be refused")
        } catch {
            #expect(error.message.contains("can be read by others"))
        }
    }

    private func reason(_ verdict: SignatureVerdict) -> UnverifiedReason? {
        if case .unverified(let reason, _) = verdict { return reason }
        return nil
    }
}
