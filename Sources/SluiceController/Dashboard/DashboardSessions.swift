import Foundation
import NIOConcurrencyHelpers
import SluiceCore

/// The dashboard's login sessions, kept in memory only: a session id (random, in an
/// HttpOnly cookie) maps to its caller (the token's name and role), its CSRF token and its expiry. The token a person
/// typed is never stored, in the cookie or here. A restart logs everyone out.
final class DashboardSessions: Sendable {
    struct Session: Sendable {
        var caller: APICaller
        var csrf: String
        var expires: Date
    }

    /// How long a session lasts after login.
    static let lifetime: TimeInterval = 12 * 3600
    /// At most this many live sessions; the oldest goes first (a login flood cannot grow memory).
    static let capacity = 1000

    private let sessions = NIOLockedValueBox<[String: Session]>([:])

    /// Opens a session for `caller`; returns its id.
    func open(_ caller: APICaller, now: Date = Date()) -> String {
        let id = Self.randomToken()
        let session = Session(caller: caller, csrf: Self.randomToken(), expires: now.addingTimeInterval(Self.lifetime))
        sessions.withLockedValue { table in
            table = table.filter { $0.value.expires > now }
            if table.count >= Self.capacity, let oldest = table.min(by: { $0.value.expires < $1.value.expires }) {
                table[oldest.key] = nil
            }
            table[id] = session
        }
        return id
    }

    /// The live session `id` names, if any.
    func session(_ id: String, now: Date = Date()) -> Session? {
        sessions.withLockedValue { table in
            guard let session = table[id] else { return nil }
            guard session.expires > now else {
                table[id] = nil
                return nil
            }
            return session
        }
    }

    /// Ends session `id`.
    func close(_ id: String) {
        _ = sessions.withLockedValue { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes, hex: unguessable session ids and CSRF tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Whether two secrets are equal, in constant time.
    static func same(_ a: String, _ b: String) -> Bool {
        SecretComparison.equal(Array(a.utf8), Array(b.utf8))
    }
}
