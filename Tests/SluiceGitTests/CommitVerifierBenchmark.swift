import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// What checking signatures costs: a range of new commits checked once (the tools run per
/// commit), then again (the cache answers). Runs by hand: `SLUICE_BENCH=1 swift test --filter CommitVerifierBenchmark`.
@Suite(
    "benchmark: commit signature checks", .enabled(if: ProcessInfo.processInfo.environment["SLUICE_BENCH"] == "1" && SigningKeys.toolsAvailable),
    .timeLimit(.minutes(10)))
struct CommitVerifierBenchmark {
    @Test(arguments: [SigningKeys.Format.gpg, .ssh])
    func rangeOfSignedCommits(format: SigningKeys.Format) async throws {
        let count = 50
        try await SigningKeys.using([format]) { made in
            let keys = made[0]
            let repo = try GitFixture()
            let base = try repo.signedCommit("base", files: ["a.txt": "0\n"], keys: keys)
            var head = base
            for index in 1...count { head = try repo.signedCommit("commit \(index)", files: ["a.txt": "\(index)\n"], keys: keys) }
            let verifier = keys.format == .gpg
                ? try await CommitVerifier.prepare(gpgKeyring: keys.trustFile, sshAllowedSigners: nil)
                : try await CommitVerifier.prepare(gpgKeyring: nil, sshAllowedSigners: keys.trustFile)
            let source = try GitSource.open(path: repo.path)
            let clock = ContinuousClock()
            var start = clock.now
            let outcome = try await verifier.check(head: CommitID(hex: head), since: CommitID(hex: base), mode: .all, in: source)
            let cold = clock.now - start
            #expect(outcome == .verified(head: CommitID(hex: head)))
            start = clock.now
            _ = try await verifier.check(head: CommitID(hex: head), since: CommitID(hex: base), mode: .all, in: source)
            let warm = clock.now - start
            print("signature checks (\(format.rawValue)): \(count) new commits in \(cold) (\(cold / count) per commit); the same range again (cached) in \(warm)")
        }
    }
}
