import Foundation
import SluiceGit
import SluiceTestSupport
import Testing

/// `sluice plan` lists the range's commits with their signatures; `sluice rollback --config`
/// signs its commit with `controller.git.signing`. The real binary, real keys, real git.
@Suite(.enabled(if: SigningKeys.toolsAvailable, "needs gpg, gpgconf and ssh-keygen (scripts/setup.sh installs them)"), .timeLimit(.minutes(10)))
struct PlanSignatureTests {
    @Test("plan shows each commit's signature in text, JSON and Markdown; checked with --config's controller.verify keys")
    func planShowsSignatures() async throws {
        try await SigningKeys.using([.ssh, .ssh]) { made in
            let (keys, stranger) = (made[0], made[1])
            let repo = try GitFixture()
            let base = try repo.signedCommit("v1", files: ["manifests/fraud.yaml": manifest("fraud")], keys: keys)
            let unsigned = try repo.commit("v2, unsigned", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
            let foreign = try repo.signedCommit("docs by a stranger", files: ["README.md": "x\n"], keys: stranger)
            let signed = try repo.signedCommit("v3, signed", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2", "v3"])], keys: keys)
            try repo.write(
                "sluice.yaml", "controller:\n  repository: .\n  verify:\n    ssh: {allowedSigners: \(keys.trustFile)}\n")

            let json = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", base, "--format", "json"], in: repo.url)
            #expect(json.status == 1, "\(json.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let commits = try #require(document["commits"] as? [[String: Any]])
            #expect(commits.map { $0["commit"] as? String } == [unsigned, foreign, signed])
            #expect(commits.map { $0["signature"] as? String } == ["unsigned", "unknownKey", "verified"])
            #expect(commits.last?["detail"] as? String == "ssh: \(keys.identity)")

            let text = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", base], in: repo.url)
            #expect(text.stdout.contains("Commits:\n  \(unsigned.prefix(7))  unsigned  v2, unsigned\n"), "\(text.stdout)")
            #expect(text.stdout.contains("  \(signed.prefix(7))  verified (ssh: \(keys.identity))  v3, signed\n"))
            let markdown = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", base, "--format", "markdown"], in: repo.url)
            #expect(markdown.stdout.contains("### Commits\n\n| Commit | Signature | Summary |\n|---|---|---|\n| `\(unsigned.prefix(7))` | unsigned | v2, unsigned |"), "\(markdown.stdout)")

            // Without keys to check with, a signature is only said to be there.
            let unchecked = try await SluiceBinary.run(
                ["plan", "--path", "manifests", "--from", base, "--format", "json", "--config", "none.yaml"], in: repo.url)
            let plain = try #require(try JSONSerialization.jsonObject(with: Data(unchecked.stdout.utf8)) as? [String: Any])
            #expect((plain["commits"] as? [[String: Any]])?.map { $0["signature"] as? String } == ["unsigned", "notChecked", "notChecked"])
        }
    }

    @Test("sluice rollback --config signs its commit with controller.git.signing")
    func rollbackSigns() async throws {
        try await SigningKeys.using([.ssh]) { made in
            let keys = made[0]
            let repo = try GitFixture()
            try repo.commit("v1", files: ["manifests/fraud.yaml": manifest("fraud")])
            try repo.commit("v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
            let config = keys.directory.appendingPathComponent("sluice.yaml").path
            try Data("controller:\n  repository: \(repo.path)\n  git:\n    signing: {format: ssh, keyFile: \(keys.privateKeyFile)}\n".utf8)
                .write(to: URL(fileURLWithPath: config))
            let result = try await SluiceBinary.run(["rollback", "fraud", "--path", "manifests", "--config", config], in: repo.url)
            #expect(result.status == 0, "\(result.stderr)")
            _ = try repo.git(keys.gitOptions + ["-c", "gpg.ssh.allowedSignersFile=\(keys.trustFile)", "verify-commit", "HEAD"])
        }
    }
}
