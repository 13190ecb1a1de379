import SluiceCore
import Testing

/// Tokens are compared through swift-crypto, never byte by byte in Swift.
@Suite(.timeLimit(.minutes(10))) struct SecretComparisonTests {
    @Test func equalSecretsMatch() {
        #expect(SecretComparison.equal(Array("s3cret-token".utf8), Array("s3cret-token".utf8)))
        #expect(SecretComparison.equal([], []))
    }

    /// A difference anywhere, in length or in case, refuses.
    @Test func anyDifferenceRefuses() {
        let secret = Array("s3cret-token".utf8)
        for given in ["s3cret-tokeN", "S3cret-token", "s3cret-toke", "s3cret-token ", "", "s3cret-token\u{0}"] {
            #expect(!SecretComparison.equal(Array(given.utf8), secret), "\(given.debugDescription)")
        }
        #expect(!SecretComparison.equal(secret, []))
    }
}
