import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceConfig
import SluiceCore
import SluiceStore

/// Delivers the notification outbox: every second, the due notifications of each target are
/// POSTed over HTTP(S), at most its `delivery.ratePerMinute` requests in any minute; a 2xx
/// answer deletes one, anything else schedules another attempt after an exponential backoff
/// (`retryInitial` doubling to `retryMax`). Delivery is at least once: a notification survives
/// restarts in the store until its target accepts it, or until `giveUpAfter` has passed since
/// it was queued (then it is dropped with a log line). Records of delivered notifications
/// (the dedupe keys) are pruned after `dedupeWindow`.
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
    let timeout: TimeAmount
    /// How long a delivered notification's dedupe record is kept (seconds).
    let dedupeWindow: Double
    /// The requests of the last minute, per target (the rate limit's sliding window).
    let recentAttempts = NIOLockedValueBox<[String: [Double]]>([:])
    /// When the dedupe records were last pruned.
    let lastPrune = NIOLockedValueBox<Double>(-.infinity)

    /// The default ``dedupeWindow``: 7 days.
    public static let defaultDedupeWindow: Double = 7 * 24 * 3600

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
        logger: Logger, dedupeWindow: Double = NotificationDeliverer.defaultDedupeWindow, timeout: TimeAmount = .seconds(10)
    ) throws {
        self.store = store
        self.targets = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.stateDirectory = stateDirectory
        self.clock = clock
        self.logger = logger
        self.dedupeWindow = dedupeWindow
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

    /// One round: attempts the due notifications of each target, as many as its rate allows.
    /// Returns how many were delivered.
    @discardableResult
    public func deliverDue() async -> Int {
        let now = clock.now()
        pruneDedupeRecords(now: now)
        let allowance = recentAttempts.withLockedValue { recent in
            targets.mapValues { target in
                let kept = (recent[target.name] ?? []).filter { $0 > now - 60 }
                recent[target.name] = kept
                return max(0, target.delivery.ratePerMinute - kept.count)
            }
        }
        guard let most = allowance.values.max(), most > 0 else { return 0 }
        var due: [ControllerStore.OutboxEntry]
        do {
            due = try store.dueNotifications(at: now, limitPerTarget: most).filter { targets[$0.target] != nil }
        } catch {
            logger.error("notifications: reading the outbox failed: \(error)")
            return 0
        }
        // Beyond a target's allowance, a notification waits (in order) for a later round.
        var taken: [String: Int] = [:]
        due = due.filter { entry in
            taken[entry.target, default: 0] += 1
            return taken[entry.target, default: 0] <= allowance[entry.target, default: 0]
        }
        guard !due.isEmpty else { return 0 }
        let states = (try? store.states()) ?? [:]
        var delivered = 0
        for entry in due {
            guard let target = targets[entry.target], let client = clients[entry.target] else { continue }
            let failure = await attempt(entry, target: target, client: client, outcome: states[entry.notification.model]?.lastRollout)
            let eventId = entry.notification.eventId
            do {
                if let failure, clock.now() - entry.createdAt >= target.delivery.giveUpAfter.seconds {
                    try store.notificationDropped(target: target.name, eventId: eventId)
                    logger.error(
                        "notification \(eventId) (\(entry.notification.kind.rawValue) of \(entry.notification.model)) to \(target.name) dropped after \(entry.attempts + 1) attempts over \(target.delivery.giveUpAfter) (delivery.giveUpAfter): \(failure)")
                } else if let failure {
                    let delay = target.delivery.retryDelay(afterAttempts: entry.attempts + 1)
                    try store.notificationFailed(target: target.name, eventId: eventId, retryAt: clock.now() + delay)
                    logger.warning("notification \(eventId) to \(target.name) not delivered (attempt \(entry.attempts + 1)): \(failure); retrying in \(Int(delay))s")
                } else {
                    try store.notificationDelivered(
                        target: target.name, eventId: eventId, at: clock.now(), followUp: PullRequestComment.followUp(after: entry.notification, target: target))
                    delivered += 1
                    logger.info("notification \(eventId) (\(entry.notification.kind.rawValue) of \(entry.notification.model)) delivered to \(target.name)")
                }
            } catch {
                logger.error("notifications: recording the delivery of \(eventId) to \(target.name) failed: \(error)")
            }
        }
        return delivered
    }

    /// Forgets the dedupe records older than ``dedupeWindow``, at most once a minute.
    func pruneDedupeRecords(now: Double) {
        let due = lastPrune.withLockedValue { last in
            guard now - last >= 60 else { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            let pruned = try store.pruneDeliveredNotifications(before: now - dedupeWindow)
            if pruned > 0 { logger.debug("notifications: forgot \(pruned) delivery records older than \(Int(dedupeWindow))s") }
        } catch {
            logger.error("notifications: pruning delivery records failed: \(error)")
        }
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
        if entry.notification.step == .pullRequestComment {
            return await commentOnPullRequests(entry.notification, target: target, client: client, token: token, failedChecks: failedChecks, secrets: secrets)
        }
        guard let request = NotificationRequest.make(for: entry.notification, target: target, url: url, token: token, failedChecks: failedChecks) else {
            return nil
        }
        return await send(.POST, to: request.url, headers: request.headers, body: request.body, target: target, client: client, secrets: secrets).failure
    }

    /// Lists the pull requests associated with the notification's commit and comments on
    /// each; nil when done (or there are none), else why not.
    func commentOnPullRequests(
        _ notification: ControllerStore.OutboxNotification, target: NotificationTarget, client: HTTPClient, token: String?,
        failedChecks: [CheckMeasurement], secrets: [String]
    ) async -> String? {
        guard let sha = notification.revision, NotificationRequest.isCommitHash(sha), let repository = target.repository,
              let api = target.api ?? target.defaultAPI, let token else { return nil }
        let headers = NotificationRequest.githubHeaders(token: token)
        let listed = await send(.GET, to: PullRequestComment.pullsURL(api: api, repository: repository, sha: sha), headers: headers, target: target, client: client, secrets: secrets)
        if let failure = listed.failure { return "listing the commit's pull requests: \(failure)" }
        guard let numbers = PullRequestComment.numbers(inPulls: listed.body) else { return "listing the commit's pull requests: the answer is not a JSON array" }
        let body = PullRequestComment.body(notification, target: target, failedChecks: failedChecks)
        for number in numbers {
            let url = PullRequestComment.commentsURL(api: api, repository: repository, number: number)
            if let failure = await send(.POST, to: url, headers: headers, body: body, target: target, client: client, secrets: secrets).failure {
                return "commenting on pull request #\(number): \(failure)"
            }
        }
        return nil
    }

    /// One request to `target`, counted against its rate; its answer's body (at most 1 MiB),
    /// or why it failed with every secret removed.
    func send(
        _ method: HTTPMethod, to url: String, headers: [(String, String)], body: JSONValue? = nil, target: NotificationTarget,
        client: HTTPClient, secrets: [String]
    ) async -> (body: Data, failure: String?) {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else { return (Data(), "the configured URL is not http(s)") }
        recentAttempts.withLockedValue { $0[target.name, default: []].append(clock.now()) }
        var http = HTTPClientRequest(url: url)
        http.method = method
        http.headers.add(name: "user-agent", value: "sluice-controller")
        for (name, value) in headers { http.headers.add(name: name, value: value) }
        if let body {
            http.headers.add(name: "content-type", value: "application/json")
            http.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        do {
            let response = try await client.execute(http, timeout: timeout)
            // A POST's answer is not needed (and could echo the request): drained, then dropped.
            let answer = (try? await response.body.collect(upTo: 1024 * 1024)).map { Data($0.readableBytesView) } ?? Data()
            guard (200..<300).contains(response.status.code) else { return (Data(), "the receiver answered \(response.status.code)") }
            return (method == .GET ? answer : Data(), nil)
        } catch {
            return (Data(), Self.redact("the request failed: \(error)", secrets: secrets))
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
