import SluiceFileDigest
/// Why an artifact could not be fetched. The message names the artifact (redacted, see
/// ``ArtifactRedaction``) and what was expected; it never holds a credential.
public struct ArtifactFetchError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure: what the fetcher decides on (retry or not) and tests assert.
    public enum Kind: String, Sendable, Hashable {
        /// Nothing at that key, URL or model version (404, NoSuchKey, RESOURCE_DOES_NOT_EXIST).
        case notFound
        /// Credentials missing or refused (401, 403, InvalidAccessKeyId, SignatureDoesNotMatch).
        case unauthorized
        /// No answer, or the body stalled, within the timeout. Retried.
        case timeout
        /// The connection failed or broke mid-body. Retried (resuming where supported).
        case connection
        /// The server answered 5xx or 429. Retried.
        case unavailable
        /// An answer that is not what the protocol promises (bad XML or JSON, a short body, a
        /// redirect loop, more bytes than announced).
        case badResponse
        /// The content differs from the manifest's `digest:`. Never retried, never used.
        case digestMismatch
        /// Larger than the configured cap.
        case tooLarge
        /// A listed path, archive member or link that would leave the artifact's directory.
        case unsafePath
        /// The reference cannot be fetched here (a scheme only a cluster reads, no MLflow URL configured).
        case unsupported
        /// Reading or writing the cache failed (disk full, permissions).
        case io
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// True when trying again later may succeed.
    public var isRetryable: Bool { [.timeout, .connection, .unavailable].contains(kind) }

    /// `text` with control characters escaped and cut to 200 characters: server-provided
    /// text reaches messages and logs only this way.
    public static func printable(_ text: String) -> String {
        DirectoryHasher.printable(text)
    }
}

extension ArtifactFetchError {
    /// A local hashing problem in the fetcher's terms.
    public init(_ problem: DirectoryHasher.Problem) {
        switch problem.kind {
        case .notFound: self.init(.notFound, problem.message)
        case .unsafePath: self.init(.unsafePath, problem.message)
        case .io: self.init(.io, problem.message)
        }
    }
}
