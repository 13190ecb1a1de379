import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceConfig
import SluiceCore
import SluiceStore

/// Delivers the notification outbox: every second, up to `perSecond` due notifications per
/// target are POSTed over HTTP(S); a 2xx answer deletes one, anything else schedules another
/// attempt after an exponential backoff. Delivery is at least once: a notification survives
/// restarts in the store until its target accepts it.
///
/// Webhook URLs and tokens are secrets: they are read at each attempt and appear in no log
/// line and no error (a failure names the target, the event and what went wrong).
public final class NotificationDeliverer: Sendable {
    let store: ControllerStore
    let targets: [String: NotificationTarget]
    let clients: [String: HTTPClient]
    let stateDirectory: String
    let clock: any WallClock
    let logger: Logger
    /// The per-target rate limit.
    let perSecond: Int
    /// The first retry's delay; each later one doubles, up to `maximumBackoff`.
    let backoff: Double
    let maximumBackoff: Double
    let timeout: TimeAmount

    /// The routes the store queues events by: the kinds each target wants.
    public static func routes(_ targets: [NotificationTarget]) -> [ControllerStore.NotificationRoute] {
        targets.map { target in
            ControllerStore.NotificationRoute(target: target.name, kinds: target.events.reduce(into: []) { $0.formUnion($1.kinds) })
        }
    }

    /// Creates a deliverer; throws when a `caFile` holds no readable certificate. Call
    /// ``shutdown()`` once done (its HTTP clients require it).
    public init(
        store: ControllerStore, targets: [NotificationTarget], stateDirectory: String, clock: any WallClock = SystemWallClock(),
        logger: Logger, perSecond: Int = 5, backoff: Double = 2, maximumBackoff: Double = 600, timeout: TimeAmount = .seconds(10)
    ) throws {
        self.store = store
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.stateDirectory = stateDirectory
        self.clock = clock
        self.logger = logger
        self.perSecond = max(1, perSecond)
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
        self.timeout = timeout
        // Every configuration is checked before any client exists: a client must be shut down.
        let configurations = try targets.map { ($0.name, try Self.configuration($0, timeout: timeout)) }
        self.clients = Dictionary(
            configurations.map { ($0, HTTPClient(eventLoopGroupProvider: .singleton, configuration: $1)) }, uniquingKeysWith: { first, _ in first })
    }

    /// Throws what `init` would about `targets` (an unreadable `caFile`), creating nothing.
    public static func check(_ targets: [NotificationTarget]) throws {
        for target in targets { _ = try configuration(target, timeout: .seconds(10)) }
    }

    static func configuration(_ target: NotificationTarget, timeout: TimeAmount) throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        // A token goes to the configured host only, and a redirect could carry it elsewhere.
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = timeout
        configuration.timeout.read = timeout
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        if let caFile = target.caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw NotificationError("controller.notifications[\(target.name)].caFile: cannot read PEM certificates from \(caFile)")
            }
            guard !certificates.isEmpty else { throw NotificationError("controller.notifications[\(target.name)].caFile: \(caFile) holds no PEM certificate") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(certificates)]
            configuration.tlsConfiguration = tls
        }
        return configuration
    }

    /// Delivers until cancelled, one round a second.
    public func run() async {
        while !Task.isCancelled {
            await deliverDue()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Closes the connections.
    public func shutdown() async {
        for client in clients.values { try? await client.shutdown() }
    }

    /// One round: attempts every due notification, at most `perSecond` per target. Returns
    /// how many were delivered.
    @discardableResult
    public func deliverDue() async -> Int {
        let now = clock.now()
        let due: [ControllerStore.OutboxEntry]
        do {
            due = try store.dueNotifications(at: now, limitPerTarget: perSecond).filter { targets[$0.target] != nil }
        } catch {
            logger.error("notifications: reading the outbox failed: \(error)")
            return 0
        }
        guard !due.isEmpty else { return 0 }
        let states = (try? store.states()) ?? [:]
        var delivered = 0
        for entry in due {
            guard let target = targets[entry.target], let client = clients[entry.target] else { continue }
            let failure = await attempt(entry, target: target, client: client, outcome: states[entry.notification.model]?.lastRollout)
            let eventId = entry.notification.eventId
            do {
                if let failure {
                    let delay = min(maximumBackoff, backoff * pow(2, Double(min(entry.attempts, 30))))
                    try store.notificationFailed(target: target.name, eventId: eventId, retryAt: clock.now() + delay)
                    logger.warning("notification \(eventId) to \(target.name) not delivered (attempt \(entry.attempts + 1)): \(failure); retrying in \(Int(delay))s")
                } else {
                    try store.notificationDelivered(target: target.name, eventId: eventId, at: clock.now())
                    delivered += 1
                    logger.info("notification \(eventId) (\(entry.notification.kind.rawValue) of \(entry.notification.model)) delivered to \(target.name)")
                }
            } catch {
                logger.error("notifications: recording the delivery of \(eventId) to \(target.name) failed: \(error)")
            }
        }
        return delivered
    }

    /// Sends one notification; nil when the target accepted it (or has nothing to say about
    /// it), else why not, with every secret removed.
    func attempt(_ entry: ControllerStore.OutboxEntry, target: NotificationTarget, client: HTTPClient, outcome: RolloutOutcome?) async -> String? {
        let url: String?
        let token: String?
        do {
            url = try target.readURL(stateDirectory: stateDirectory)
            token = try target.readToken(stateDirectory: stateDirectory)
        } catch {
            return "\(error)"
        }
        let secrets = [url, token].compactMap { $0 }.filter { !$0.isEmpty }
        var failedChecks: [CheckMeasurement] = []
        if entry.notification.kind == .aborted, let outcome, outcome.revision == entry.notification.revision { failedChecks = outcome.failedChecks }
        guard let request = NotificationRequest.make(for: entry.notification, target: target, url: url, token: token, failedChecks: failedChecks) else {
            return nil
        }
        guard request.url.hasPrefix("https://") || request.url.hasPrefix("http://") else {
            return "the configured URL is not http(s)"
        }
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        http.headers.add(name: "user-agent", value: "sluice-controller")
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(string: request.body.serialized()))
        do {
            let response = try await client.execute(http, timeout: timeout)
            // The body is not needed (and could echo the request); drain a little, then drop it.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else { return "the receiver answered \(response.status.code)" }
            return nil
        } catch {
            return Self.redact("the request failed: \(error)", secrets: secrets)
        }
    }

    /// `text` with every secret, and each URL's path alone, replaced.
    static func redact(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets {
            text = text.replacingOccurrences(of: secret, with: "<redacted>")
            if let path = URL(string: secret)?.path, path.count > 1 { text = text.replacingOccurrences(of: path, with: "<redacted>") }
        }
        return text
    }
}

/// A notification target that cannot be set up; names the field, never a secret.
public struct NotificationError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
