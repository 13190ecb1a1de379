import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceCore
import SluiceKubernetes

/// A **fake** Kubernetes API server on a loopback port — not a cluster and not envtest. It holds
/// objects of the kinds Sluice writes (apps/v1 Deployments, v1 Services, v1 ConfigMaps,
/// gateway.networking.k8s.io/v1 HTTPRoutes, serving.kserve.io/v1beta1 InferenceServices,
/// autoscaling/v2 HorizontalPodAutoscalers,
/// coordination.k8s.io/v1 Leases, events.k8s.io/v1 Events), applies server-side-apply semantics
/// for the fields used, serves list and watch (bookmarks, 410 Expired), answers every error as an
/// upstream-worded `Status`, and updates status the way the real controllers do, pinned to the
/// upstream examples in Tests/SluiceKubernetesTests/Fixtures/upstream. Over real HTTPS (a
/// throw-away CA made by `openssl`) with a bearer token or a client certificate.
///
/// What it proves is the wire contract as the fake implements it; CEL rules, webhooks other than
/// the scripted ones, and keyed-list merging are not modelled.
public final class FakeKubernetesAPIServer: Sendable {
    /// How the fake behaves.
    public struct Options: Sendable {
        /// The group versions served (`v1`, `apps/v1`, …); the others answer 404 on discovery and on
        /// their paths, like a cluster without that CRD installed.
        public var servedGroupVersions: Set<String>
        /// How long after a change the status "controllers" write status.
        public var statusDelay: Swift.Duration
        /// How often a watch that allows bookmarks gets one (nil: only on ``sendBookmarks()``).
        public var bookmarkInterval: Swift.Duration?
        /// How many changes the watch history keeps; a watch from before them answers 410.
        public var historyLimit: Int
        /// The request body cap (kube-apiserver's is 3 MiB).
        public var bodyLimit: Int
        /// The user named in 403 answers (and the client certificate's CN).
        public var user: String

        /// Every group version served, status written 20 ms after a change, a bookmark a second.
        public init(
            servedGroupVersions: Set<String> = FakeKubernetesAPIServer.allGroupVersions, statusDelay: Swift.Duration = .milliseconds(20),
            bookmarkInterval: Swift.Duration? = .seconds(1), historyLimit: Int = 10_000, bodyLimit: Int = 3 * 1024 * 1024,
            user: String = "system:serviceaccount:models:sluice"
        ) {
            self.servedGroupVersions = servedGroupVersions
            self.statusDelay = statusDelay
            self.bookmarkInterval = bookmarkInterval
            self.historyLimit = historyLimit
            self.bodyLimit = bodyLimit
            self.user = user
        }
    }

    /// Every group version the fake can serve.
    public static var allGroupVersions: Set<String> { FakeKubernetesDiscovery.allGroupVersions }

    /// `https://127.0.0.1:PORT` (`http://` when started without TLS).
    public let url: String
    /// The CA that signed the server (and client) certificate, PEM; empty without TLS.
    public let caPEM: [UInt8]
    /// The bearer token every request must carry (or a client certificate).
    public let token: String
    /// A client certificate the server accepts instead of the token, PEM; empty without TLS.
    public let clientCertificatePEM: [UInt8]
    /// The key of ``clientCertificatePEM``, PEM; empty without TLS.
    public let clientKeyPEM: [UInt8]

    let cluster: FakeKubernetesCluster
    private let channel: any Channel
    /// The open client connections, closed by ``stop()`` (an API server that went away).
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

    private init(
        url: String, tls: FakeKubernetesTLS?, token: String, cluster: FakeKubernetesCluster, channel: any Channel,
        connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>
    ) {
        self.url = url
        caPEM = tls?.caPEM ?? []
        clientCertificatePEM = tls?.clientCertificatePEM ?? []
        clientKeyPEM = tls?.clientKeyPEM ?? []
        self.token = token
        self.cluster = cluster
        self.channel = channel
        self.connections = connections
    }

    /// Starts a fake on 127.0.0.1, port 0 (a free one).
    public static func start(tls: Bool = true, options: Options = Options()) async throws -> FakeKubernetesAPIServer {
        let material = tls ? try await FakeKubernetesTLS.make(user: options.user) : nil
        let context = try material?.serverContext()
        let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        let group = MultiThreadedEventLoopGroup.singleton
        let cluster = FakeKubernetesCluster(options: options, eventLoop: group.next())
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLockedValue { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeKubernetesHTTPHandler(cluster: cluster, token: token))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw FakeKubernetesSetupError(message: "the fake API server has no port") }
        return FakeKubernetesAPIServer(
            url: "\(tls ? "https" : "http")://127.0.0.1:\(port)", tls: material, token: token, cluster: cluster, channel: channel,
            connections: connections)
    }

    /// Stops listening, ends every open watch and closes every connection.
    public func stop() async {
        cluster.closeWatches()
        try? await channel.close()
        for connection in connections.withLockedValue({ Array($0.values) }) {
            // After the watch ends queued on its loop, so an open watch ends with its last chunk.
            try? await connection.eventLoop.submit {}.get()
            try? await connection.close()
        }
    }
}
