import Logging
import SluiceConfig
import SluiceCore
import SluiceGit
import SluiceStore

extension Controller {
    /// The store setting that keeps the newest verified head across restarts.
    static let verifiedHeadSetting = "verifiedHead"

    /// The commit to apply for the resolved `head`: the head itself when it passes the
    /// signature check (or no check is configured); otherwise the last verified commit, which
    /// keeps running (nil when none ever was). Verdicts are cached by the verifier, so a pass
    /// whose head did not move runs no tool.
    func verifiedTarget(_ head: CommitID) async throws -> CommitID? {
        guard let verifier, let mode = config.verify?.mode else { return head }
        if head == verifiedHead, case .verified? = verification { return head }
        let outcome = try await verifier.check(head: head, since: verifiedHead, mode: mode, in: source)
        let changed = outcome != verification
        verification = outcome
        switch outcome {
        case .verified:
            if verifiedHead != head {
                verifiedHead = head
                do {
                    try store.setSetting(Self.verifiedHeadSetting, head.hex)
                } catch {
                    logger.error("saving the verified head failed: \(error)")
                }
            }
            return head
        case .unverified(_, let commit, let reason, _):
            if changed {
                logger.warning("\(verificationMessage ?? "")", metadata: ["revision": "\(head.short)", "commit": "\(commit.short)", "reason": "\(reason.rawValue)"])
            }
            return desiredCommit ?? verifiedHead
        }
    }

    /// What the status says of an unverified head, nil when it is verified or not checked.
    var verificationMessage: String? {
        guard case .unverified(let head, let commit, let reason, let detail)? = verification else { return nil }
        let which = commit == head ? "the head \(head.short)" : "commit \(commit.short) (before the head \(head.short))"
        let kept = desiredCommit ?? verifiedHead
        let keeping = kept.map { "; \($0.short), the last verified commit, stays applied" } ?? "; nothing is applied"
        return "\(which) is not applied: \(reason.description) (\(detail))\(keeping)"
    }

    /// The signature check of the head, for the status; nil without `controller.verify`.
    public func sourceVerification() -> SourceVerification? {
        guard verifier != nil else { return nil }
        switch verification {
        case nil:
            return nil
        case .verified(let head)?:
            return SourceVerification(status: .verified, head: head.hex, mode: config.verify?.mode ?? .all)
        case .unverified(let head, let commit, let reason, _)?:
            return SourceVerification(
                status: .unverified, head: head.hex, mode: config.verify?.mode ?? .all, commit: commit.hex, reason: reason,
                message: verificationMessage, applied: (desiredCommit ?? verifiedHead)?.hex)
        }
    }
}

/// The signature check of the branch head, as `GET /v1/status` reports it (`source`).
public struct SourceVerification: Sendable, Equatable {
    /// Verified or not.
    public enum Status: String, Sendable {
        case verified = "Verified"
        case unverified = "Unverified"
    }

    public var status: Status
    /// The head that was checked.
    public var head: String
    /// `controller.verify.mode`.
    public var mode: VerificationMode
    /// The commit that failed (the head, or one since the last verified head).
    public var commit: String?
    /// Why it failed.
    public var reason: UnverifiedReason?
    /// The sentence the status shows.
    public var message: String?
    /// The commit that stays applied instead.
    public var applied: String?
}
