import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit

/// The signatures of the commits a plan covers, checked as the controller would check them
/// when `--config` names a `controller.verify` section, else only told signed or unsigned.
enum PlanSignatures {
    /// At most this many commits are listed (the newest); a note counts the others.
    static let maximumListed = 50

    /// The commits after `base` up to `target`, oldest first, and notes about the check.
    static func commits(base: CommitID?, target: CommitID, source: GitSource, configPath: String) async throws -> (commits: [PlanCommit], notes: [String]) {
        var notes: [String] = []
        let (verifier, note) = await verifier(configPath: configPath)
        if let note { notes.append(note) }
        let all = try await source.commits(since: base, upTo: target)
        if all.count > maximumListed { notes.append("\(all.count - maximumListed) older commits of the range are not listed") }
        var listed: [PlanCommit] = []
        for commit in all.suffix(maximumListed) {
            let summary = try await source.summary(of: commit)
            let (signature, detail): (PlanCommit.Signature, String)
            if let verifier {
                switch try await verifier.verdict(on: commit, in: source) {
                case .verified(let format, let signer): (signature, detail) = (.verified, "\(format.rawValue): \(signer)")
                case .unverified(.unsigned, _): (signature, detail) = (.unsigned, "")
                case .unverified(.unknownKey, let why): (signature, detail) = (.unknownKey, why)
                case .unverified(.badSignature, let why): (signature, detail) = (.badSignature, why)
                }
            } else {
                (signature, detail) = try await source.signedCommit(commit) == nil ? (.unsigned, "") : (.notChecked, "")
            }
            listed.append(PlanCommit(commit: commit.hex, summary: summary, signature: signature, detail: detail))
        }
        return (listed, notes)
    }

    /// The verifier of `controller.verify` in the config at `configPath`; nil (with a note
    /// when something was wrong) when the file is absent, invalid or has no such section.
    private static func verifier(configPath: String) async -> (CommitVerifier?, String?) {
        guard FileManager.default.fileExists(atPath: configPath) else { return (nil, nil) }
        let verify: VerifyConfig?
        do {
            verify = try SluiceConfiguration.load(path: configPath).controller().verify
        } catch {
            return (nil, "signatures not checked: \(configPath) is not a valid config (`sluice validate --config` says why)")
        }
        guard let verify else { return (nil, nil) }
        do {
            return (try await CommitVerifier.prepare(gpgKeyring: verify.gpgKeyring, sshAllowedSigners: verify.sshAllowedSigners), nil)
        } catch {
            return (nil, "signatures not checked: \(VerifyConfig.field(of: error.file)): \(error.message)")
        }
    }
}
