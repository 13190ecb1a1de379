import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing
@testable import SluiceController

/// `controller.verify`: only signed commits deploy. Real keys (gpg, ssh-keygen) in temporary
/// directories, commits signed by real git, a real repository and store.
@Suite(
    "controller passes: signed commits", .enabled(if: SigningKeys.toolsAvailable, "needs gpg, gpgconf and ssh-keygen (scripts/setup.sh installs them)"),
    .timeLimit(.minutes(10)))
struct SignedCommitPassTests {
    static let v2 = Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v2": 100])

    /// A controller checking signatures with `keys`, and a first commit signed with them.
    static func fixture(
        _ keys: SigningKeys, mode: VerificationMode = .all, signer: CommitSigner? = nil
    ) async throws -> (ControllerFixture, CommitVerifier, String) {
        let verifier = keys.format == .gpg
            ? try await CommitVerifier.prepare(gpgKeyring: keys.trustFile, sshAllowedSigners: nil)
            : try await CommitVerifier.prepare(gpgKeyring: nil, sshAllowedSigners: keys.trustFile)
        let fixture = try await ControllerFixture(signatures: (verifier, signer)) { config in
            config.verify = keys.format == .gpg ? VerifyConfig(mode: mode, gpgKeyring: keys.trustFile) : VerifyConfig(mode: mode, sshAllowedSigners: keys.trustFile)
        }
        let first = try fixture.repo.signedCommit(
            "fraud v1", files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1", "a2")) { $1 }, keys: keys)
        return (fixture, verifier, first)
    }

    @Test("a signed commit deploys; an unsigned one on top is refused, the last state kept, status Unverified naming the commit and reason", arguments: [SigningKeys.Format.gpg, .ssh])
    func unsignedHeadIsRefused(format: SigningKeys.Format) async throws {
        try await SigningKeys.using([format]) { made in
            let keys = made[0]
            let (fixture, verifier, first) = try await Self.fixture(keys)
            await fixture.settle(.start)
            #expect(fixture.weights() == ["v1": 100])
            #expect(await fixture.controller.sourceVerification()?.status == .verified)

            let unsigned = try fixture.commit("fraud v2, unsigned", ["fraud": Self.v2])
            let result = await fixture.settle(.interval)
            #expect(result.commit?.hex == first)
            #expect(fixture.weights() == ["v1": 100])
            let source = try #require(await fixture.controller.sourceVerification())
            #expect(source.status == .unverified)
            #expect(source.commit == unsigned)
            #expect(source.reason == .unsigned)
            #expect(source.applied == first)
            #expect(source.message?.contains("the head \(unsigned.prefix(7)) is not applied: unsigned") == true, "\(source.message ?? "")")
            let document = StatusJSON.document(await fixture.controller.status(), error: nil, source: source)
            #expect(document["source"]?["verification"] == .string("Unverified"))
            #expect(document["source"]?["reason"] == .string("unsigned"))
            #expect(document["source"]?["commit"] == .string(unsigned))
            #expect(fixture.logged.withLockedValue { $0 }.contains { $0.hasPrefix("warning:") && $0.contains(unsigned.prefix(7)) })
            #expect(DashboardPages.models(await fixture.controller.status(), error: nil, csrf: nil, source: source).contains("Source Unverified: the head \(unsigned.prefix(7))"))

            // Passes on the same head run no tool again (verdicts are cached by commit id).
            let checks = await verifier.toolChecks
            await fixture.pass(.interval)
            #expect(await verifier.toolChecks == checks)

            // In the default mode a signed commit on top does not clear the unsigned one under it.
            let signedOnTop = try fixture.repo.signedCommit("fraud v2 again, signed", files: ["notes.txt": "x\n"], keys: keys)
            await fixture.settle(.interval)
            #expect(fixture.weights() == ["v1": 100])
            #expect(await fixture.controller.sourceVerification()?.commit == unsigned)
            #expect(await fixture.controller.sourceVerification()?.head == signedOnTop)

            // A restart remembers the last verified head: still refused, the first commit still applied.
            try fixture.restart()
            await fixture.settle(.start)
            #expect(await fixture.controller.sourceVerification()?.commit == unsigned)
            #expect(fixture.weights() == ["v1": 100])
            #expect(await fixture.state()?.desiredRevision == first)
        }
    }

    @Test("a commit signed by a key that is not allowed, and one whose signature was grafted from another commit, are refused", arguments: [SigningKeys.Format.gpg, .ssh])
    func unknownKeyAndForgery(format: SigningKeys.Format) async throws {
        try await SigningKeys.using([format, format]) { made in
            let (keys, stranger) = (made[0], made[1])
            let (fixture, _, first) = try await Self.fixture(keys)
            await fixture.settle(.start)
            let foreign = try fixture.repo.signedCommit(
                "fraud v2 by a stranger", files: ["manifests/fraud.yaml": Self.v2], keys: stranger)
            await fixture.settle(.interval)
            #expect(fixture.weights() == ["v1": 100])
            #expect(await fixture.controller.sourceVerification()?.reason == .unknownKey)
            #expect(await fixture.controller.sourceVerification()?.commit == foreign)

            // The stranger's commit, with the signature of the (allowed) first commit grafted on.
            try fixture.repo.git(["reset", "-q", "--hard", first])
            let grafted = try fixture.repo.forge(foreign, signatureFrom: first)
            try fixture.repo.git(["reset", "-q", "--hard", grafted])
            await fixture.settle(.interval)
            #expect(fixture.weights() == ["v1": 100])
            #expect(await fixture.controller.sourceVerification()?.reason == .badSignature)
            #expect(await fixture.controller.sourceVerification()?.commit == grafted)
        }
    }

    @Test("an unsigned first head applies nothing: the status says Unverified, and the pass is not a failure retried every second")
    func unsignedFirstHead() async throws {
        try await SigningKeys.using([.gpg]) { made in
            let verifier = try await CommitVerifier.prepare(gpgKeyring: made[0].trustFile, sshAllowedSigners: nil)
            let fixture = try await ControllerFixture(
                files: ["manifests/fraud.yaml": Manifests.fraud()].merging(Manifests.artifacts("a1")) { $1 }, signatures: (verifier, nil)
            ) { $0.verify = VerifyConfig(gpgKeyring: made[0].trustFile) }
            let result = await fixture.pass(.start)
            #expect(result.succeeded)
            #expect(result.commit == nil)
            #expect(fixture.backend.appliedSpecs.isEmpty)
            let source = try #require(await fixture.controller.sourceVerification())
            #expect(source.status == .unverified)
            #expect(source.reason == .unsigned)
            #expect(source.applied == nil)
            #expect(source.message?.hasSuffix("; nothing is applied") == true, "\(source.message ?? "")")
        }
    }

    @Test("mode head: an unsigned commit under a signed head is accepted")
    func modeHead() async throws {
        try await SigningKeys.using([.ssh]) { made in
            let (fixture, _, _) = try await Self.fixture(made[0], mode: .head)
            await fixture.settle(.start)
            try fixture.commit("fraud v2, unsigned", ["fraud": Self.v2])
            await fixture.settle(.interval)
            #expect(fixture.weights() == ["v1": 100])
            let head = try fixture.repo.signedCommit("squashed, signed", files: ["notes.txt": "x\n"], keys: made[0])
            await fixture.settle(.interval)
            #expect(fixture.weights() == ["v1": 0, "v2": 100])
            #expect(await fixture.controller.sourceVerification() == SourceVerification(status: .verified, head: head, mode: .head))
        }
    }

    @Test("a revert that Sluice writes after an abort is signed with the operator's key and passes the check", arguments: [SigningKeys.Format.gpg, .ssh])
    func sluiceRevertPasses(format: SigningKeys.Format) async throws {
        try await SigningKeys.using([format]) { made in
            let keys = made[0]
            let signer = try await CommitSigner.prepare(format: format == .gpg ? .gpg : .ssh, keyFile: keys.privateKeyFile)
            do {
                let (fixture, _, _) = try await Self.fixture(keys, signer: signer)
                await fixture.settle(.start)
                let rollout = Manifests.rollout(["weight: 40", "pause: 1h"], onAbort: "revert")
                try fixture.repo.signedCommit(
                    "fraud v2", files: ["manifests/fraud.yaml": Manifests.fraud([("v1", "a1"), ("v2", "a2")], traffic: ["v2": 100], extra: rollout)],
                    keys: keys)
                await fixture.settle()
                #expect(fixture.weights() == ["v1": 60, "v2": 40])
                _ = await fixture.execute(.abort(model: "fraud", actor: "carol"))
                await fixture.pass(.command)
                #expect(try fixture.subjects().first == "Revert \"fraud v2\" for fraud")
                let revert = try fixture.repo.git(["rev-parse", "HEAD"])
                await fixture.settle(.interval)
                #expect(await fixture.controller.sourceVerification() == SourceVerification(status: .verified, head: revert, mode: .all))
                #expect(await fixture.state()?.desiredRevision == revert)
                #expect(fixture.weights() == ["v1": 100])
                await signer.close()
            } catch {
                await signer.close()
                throw error
            }
        }
    }
}
