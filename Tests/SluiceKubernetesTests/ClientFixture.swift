import NIOCore
import Logging
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport

/// A fake API server and a real ``KubernetesClient`` of it, for the client, informer and
/// leader-election tests. Everything these tests prove is against the loopback *fake*.
enum ClientFixture {
    static let namespace = "models"
    static let logger = Logger(label: "sluice.kubernetes.test")

    /// Credentials of `fake` with a wrong bearer token.
    static func credentials(_ fake: FakeKubernetesAPIServer, token: String) -> KubernetesCredentials {
        var credentials = fake.credentials(namespace: namespace)
        credentials.authentication = .bearerToken { token }
        return credentials
    }

    /// Runs `body` with a started fake and a client of it; stops both afterwards.
    static func withClient<T: Sendable>(
        options: FakeKubernetesAPIServer.Options = .init(),
        timeout: TimeAmount = .seconds(60),
        _ body: (FakeKubernetesAPIServer, KubernetesClient) async throws -> T
    ) async throws -> T {
        let fake = try await FakeKubernetesAPIServer.start(tls: true, options: options)
        let client: KubernetesClient
        do {
            // Generous by default: a loaded 2-core machine can leave a paged list of 1,000
            // objects unanswered for more than 10 s; no test here is about the client's timeout.
            client = try KubernetesClient(credentials: fake.credentials(namespace: namespace), logger: logger, timeout: timeout)
        } catch {
            await fake.stop()
            throw error
        }
        do {
            let result = try await body(fake, client)
            await client.shutdown()
            await fake.stop()
            return result
        } catch {
            await client.shutdown()
            await fake.stop()
            throw error
        }
    }

    /// A Deployment Sluice would apply (labels marking it as Sluice's).
    static func deployment(_ name: String, replicas: Int = 1, namespace: String = namespace) -> KubernetesObject {
        KubernetesObject(.object([
            ("apiVersion", .string("apps/v1")), ("kind", .string("Deployment")),
            ("metadata", .object([
                ("name", .string(name)), ("namespace", .string(namespace)),
                ("labels", .object([(KubernetesLabels.managedBy, .string(KubernetesLabels.managerName)), (KubernetesLabels.model, .string("iris"))])),
            ])),
            ("spec", .object([
                ("replicas", .int(replicas)),
                ("selector", .object([("matchLabels", .object([("app", .string(name))]))])),
                ("template", .object([
                    ("metadata", .object([("labels", .object([("app", .string(name))]))])),
                    ("spec", .object([("containers", .array([.object([("name", .string("model")), ("image", .string("seldonio/mlserver:1.7.1"))])]))])),
                ])),
            ])),
        ]))
    }

    /// Waits (polling, never blocking the pool) until `condition` holds; false if it never
    /// does within `limit` — a generous bound, not a timing assertion.
    static func eventually(within limit: Swift.Duration = .seconds(60), _ condition: () async -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while clock.now < end {
            if await condition() { return true }
            await sleepEvenIfCancelled(for: .milliseconds(20))
        }
        return await condition()
    }
}
