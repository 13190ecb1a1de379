import SluiceArtifacts
import SluiceCore

/// The controller's view of artifacts fetched in the background: a pass never waits for a
/// download (a 10 GB model would hold every other model's rollout and every command), it
/// starts one and reads the result in a later pass.
struct RemoteArtifactFetches: Sendable {
    /// One fetch, by the artifact text and its pin.
    enum Entry: Sendable {
        /// Under way since `since` (wall-clock seconds).
        case running(since: Double)
        /// On disk and verified.
        case ready(MaterializedArtifact)
        /// Failed at `at`; tried again after ``retryAfter`` seconds (or at once on a new commit).
        case failed(ArtifactFetchError, at: Double)
    }

    /// The key of an artifact and its pin.
    struct Key: Sendable, Hashable {
        var artifact: String
        var digest: SluiceCore.Digest?
    }

    /// How long a failed fetch waits before a pass starts it again.
    static let retryAfter: Double = 60

    var entries: [Key: Entry] = [:]
    /// The keys the current read of the manifests asked for.
    var touched: Set<Key> = []

    /// Whether a failed fetch the manifests still use is due to be tried again.
    func retryDue(now: Double) -> Bool {
        entries.contains { key, entry in
            if case .failed(_, let at) = entry { return touched.contains(key) && now - at >= Self.retryAfter }
            return false
        }
    }

    /// Forgets failures of artifacts the manifests no longer use (fetched ones are kept: a
    /// revert may want them again).
    mutating func forgetUntouchedFailures() {
        entries = entries.filter { key, entry in
            if case .failed = entry { return touched.contains(key) }
            return true
        }
    }
}
