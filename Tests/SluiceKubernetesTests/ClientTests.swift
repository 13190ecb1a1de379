import NIOConcurrencyHelpers
import NIOCore
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Client against the fake API server: apply, read, write and delete over real HTTPS", .timeLimit(.minutes(10)))
struct ClientTests {
    let namespace = ClientFixture.namespace

    @Test("server-side apply creates then updates, as field manager sluice with force and strict validation")
    func applyRoundTrip() async throws {
        try await ClientFixture.withClient { fake, client in
            let created = try await client.apply(ClientFixture.deployment("iris-v1"))
            #expect(created.uid != nil && created.resourceVersion != nil)
            #expect(created.isManagedBySluice)
            let updated = try await client.apply(ClientFixture.deployment("iris-v1", replicas: 3))
            #expect(updated["spec", "replicas"]?.intValue == 3)
            #expect(updated.uid == created.uid)
            #expect(fake.object(kind: .deployment, namespace: namespace, name: "iris-v1")?["spec", "replicas"]?.intValue == 3)
            let read = try await client.get(.deployment, namespace: namespace, name: "iris-v1")
            #expect(read?.uid == created.uid && read?["spec", "replicas"]?.intValue == 3)
            #expect(read?.kind == "Deployment")
            let patches = fake.requestLog.filter { $0.method == "PATCH" }
            #expect(patches.count == 2)
            #expect(patches.allSatisfy {
                $0.query["fieldManager"] == "sluice" && $0.query["force"] == "true" && $0.query["fieldValidation"] == "Strict" && $0.query["dryRun"] == nil
            })
        }
    }

    @Test("a dry run answers the object the server would store and stores nothing")
    func dryRun() async throws {
        try await ClientFixture.withClient { fake, client in
            let answer = try await client.apply(ClientFixture.deployment("iris-v2"), dryRun: true)
            #expect(answer.name == "iris-v2")
            #expect(fake.object(kind: .deployment, namespace: namespace, name: "iris-v2") == nil)
            #expect(try await client.get(.deployment, namespace: namespace, name: "iris-v2") == nil)
            #expect(fake.requestLog.first { $0.method == "PATCH" }?.query["dryRun"] == "All")
        }
    }

    @Test("a refused token is .unauthorized and a denied verb .forbidden, both with the hint of what to fix")
    func unauthorizedAndForbidden() async throws {
        try await ClientFixture.withClient { fake, client in
            let stranger = try KubernetesClient(credentials: ClientFixture.credentials(fake, token: "not-the-token"), logger: ClientFixture.logger)
            let refused = await #expect(throws: KubernetesError.self) { _ = try await stranger.list(.deployment, namespace: namespace, labelSelector: nil) }
            await stranger.shutdown()
            #expect(refused?.kind == .unauthorized)
            #expect(refused?.description.contains("401") == true)
            #expect(refused?.description.contains("not-the-token") == false)

            fake.failNext(method: "PATCH", pathContains: "/deployments/", status: 403)
            let denied = await #expect(throws: KubernetesError.self) { _ = try await client.apply(ClientFixture.deployment("iris-v1")) }
            #expect(denied?.kind == .forbidden)
            #expect(denied?.detail.hasPrefix("PATCH /apis/apps/v1/namespaces/models/deployments/iris-v1: ") == true)
            #expect(denied?.detail.contains("cannot patch resource \"deployments\"") == true)
            #expect(denied?.description.contains("RBAC") == true)
            #expect(denied?.description.contains(fake.token) == false)
        }
    }

    @Test("the bearer token is read at every request, so a rotated token takes effect without a new client")
    func tokenRotation() async throws {
        try await ClientFixture.withClient { fake, _ in
            let current = NIOLockedValueBox(fake.token)
            var credentials = fake.credentials(namespace: namespace)
            credentials.authentication = .bearerToken { current.withLockedValue { $0 } }
            let client = try KubernetesClient(credentials: credentials, logger: ClientFixture.logger)
            let first = try? await client.get(.service, namespace: namespace, name: "absent")
            current.withLockedValue { $0 = "revoked" }
            let refused = await #expect(throws: KubernetesError.self) { _ = try await client.get(.service, namespace: namespace, name: "absent") }
            current.withLockedValue { $0 = fake.token }
            let again = try? await client.get(.service, namespace: namespace, name: "absent")
            await client.shutdown()
            #expect(first == .some(nil) && again == .some(nil))
            #expect(refused?.kind == .unauthorized)
        }
    }

    @Test("a 409 on apply is retried and then succeeds; a 409 on an optimistic replace is not retried")
    func conflicts() async throws {
        try await ClientFixture.withClient { fake, client in
            fake.failNext(method: "PATCH", pathContains: "/deployments/iris-v1", status: 409, count: 2)
            let before = client.requestCount
            let applied = try await client.apply(ClientFixture.deployment("iris-v1"))
            #expect(applied.uid != nil)
            #expect(client.requestCount - before == 3)
            #expect(fake.requestLog.filter { $0.method == "PATCH" }.count == 3)

            // A replace with a stale resourceVersion loses: someone wrote in between.
            var stale = applied.json
            fake.edit(kind: .deployment, namespace: namespace, name: "iris-v1") { $0 = Self.setting($0, "spec", "replicas", .int(5)) }
            stale = Self.setting(stale, "spec", "replicas", .int(2))
            let lost = await #expect(throws: KubernetesError.self) { _ = try await client.replace(KubernetesObject(stale)) }
            #expect(lost?.kind == .conflict)
            #expect(fake.requestLog.filter { $0.method == "PUT" }.count == 1)
        }
    }

    @Test("a 429 with Retry-After is retried after the wait; a 500 is .unavailable")
    func overload() async throws {
        try await ClientFixture.withClient { fake, client in
            fake.failNext(method: "GET", pathContains: "/services/absent", status: 429)
            let before = client.requestCount
            let missing = try await client.get(.service, namespace: namespace, name: "absent")
            #expect(missing == nil)
            #expect(client.requestCount - before == 2)
            fake.failNext(method: "GET", pathContains: "/services", status: 500)
            let failure = await #expect(throws: KubernetesError.self) { _ = try await client.list(.service, namespace: namespace, labelSelector: nil) }
            #expect(failure?.kind == .unavailable(status: 500))
        }
    }

    @Test("get of a missing object is nil; create twice is .conflict; delete honours the uid and treats gone as done")
    func createGetDelete() async throws {
        try await ClientFixture.withClient { fake, client in
            #expect(try await client.get(.service, namespace: namespace, name: "absent") == nil)
            let created = try await client.create(ClientFixture.deployment("iris-v3"))
            let again = await #expect(throws: KubernetesError.self) { _ = try await client.create(ClientFixture.deployment("iris-v3")) }
            #expect(again?.kind == .conflict)
            let wrongUID = await #expect(throws: KubernetesError.self) {
                try await client.delete(.deployment, namespace: namespace, name: "iris-v3", uid: "00000000-0000-0000-0000-000000000000")
            }
            #expect(wrongUID?.kind == .conflict)
            #expect(fake.object(kind: .deployment, namespace: namespace, name: "iris-v3") != nil)
            try await client.delete(.deployment, namespace: namespace, name: "iris-v3", uid: created.uid)
            #expect(fake.object(kind: .deployment, namespace: namespace, name: "iris-v3") == nil)
            try await client.delete(.deployment, namespace: namespace, name: "iris-v3", uid: nil)
        }
    }

    @Test("list filters by label selector and gives every item its kind and the collection's resourceVersion")
    func list() async throws {
        try await ClientFixture.withClient { fake, client in
            for index in 0..<3 { _ = try await client.apply(ClientFixture.deployment("iris-v\(index)")) }
            var foreign = ClientFixture.deployment("hand-made").json
            foreign = Self.setting(foreign, "metadata", "labels", .object([("app", .string("other"))]))
            try fake.put(KubernetesObject(foreign))
            let managed = try await client.list(.deployment, namespace: namespace, labelSelector: KubernetesLabels.managedSelector)
            #expect(managed.items.map(\.name).sorted() == ["iris-v0", "iris-v1", "iris-v2"])
            #expect(managed.items.allSatisfy { $0.kind == "Deployment" && $0.apiVersion == "apps/v1" })
            #expect(!managed.resourceVersion.isEmpty)
            let all = try await client.list(.deployment, namespace: namespace, labelSelector: nil)
            #expect(all.items.count == 4)
        }
    }

    @Test("discovery: a group version the cluster does not serve is false, not an error")
    func discovery() async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.servedGroupVersions = FakeKubernetesAPIServer.allGroupVersions.filter { !$0.hasPrefix("serving.kserve.io") }
        try await ClientFixture.withClient(options: options) { _, client in
            let gateway = try await client.serves(group: "gateway.networking.k8s.io", version: "v1")
            let kserve = try await client.serves(group: "serving.kserve.io", version: "v1beta1")
            let core = try await client.serves(group: "", version: "v1")
            #expect(gateway && !kserve && core)
        }
    }

    @Test("a client certificate authenticates instead of a token")
    func clientCertificate() async throws {
        try await ClientFixture.withClient { fake, _ in
            let client = try KubernetesClient(credentials: fake.credentials(namespace: namespace, clientCertificate: true), logger: ClientFixture.logger)
            let result: KubernetesList?
            do {
                result = try await client.list(.service, namespace: namespace, labelSelector: nil)
            } catch {
                Issue.record("a client certificate was refused: \(error)")
                result = nil
            }
            await client.shutdown()
            #expect(result?.items.isEmpty == true)
        }
    }

    @Test("an unknown CA fails the TLS handshake as .unreachable")
    func untrustedServer() async throws {
        try await ClientFixture.withClient { fake, _ in
            let credentials = KubernetesCredentials(server: fake.url, authentication: .bearerToken { fake.token })
            let client = try KubernetesClient(credentials: credentials, logger: ClientFixture.logger)
            let failure = await #expect(throws: KubernetesError.self) { _ = try await client.get(.service, namespace: namespace, name: "x") }
            await client.shutdown()
            #expect(failure?.kind == .unreachable)
        }
    }

    @Test("a watch reports changes after its resourceVersion, bookmarks, and 410 Gone for a compacted one")
    func watch() async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.bookmarkInterval = nil
        try await ClientFixture.withClient(options: options) { fake, client in
            fake.automaticStatus = false  // no status writes: only the changes this test makes
            let start = try await client.list(.deployment, namespace: namespace, labelSelector: nil).resourceVersion
            _ = try await client.apply(ClientFixture.deployment("iris-v1"))
            var seen: [String] = []
            for try await event in client.watch(.deployment, namespace: namespace, labelSelector: nil, resourceVersion: start) {
                switch event {
                case .added(let object):
                    seen.append("added \(object.name) \(object.kind)")
                    fake.sendBookmarks()
                case .bookmark(let resourceVersion):
                    seen.append("bookmark \(resourceVersion == fake.resourceVersion)")
                case .modified, .deleted:
                    seen.append("other")
                }
                if seen.count == 2 { break }
            }
            #expect(seen == ["added iris-v1 Deployment", "bookmark true"])
            fake.compactHistory()
            let gone = await #expect(throws: KubernetesError.self) {
                for try await _ in client.watch(.deployment, namespace: namespace, labelSelector: nil, resourceVersion: start) {}
            }
            #expect(gone?.kind == .gone)
        }
    }

    /// `document` with the value at `a.b` set (objects made on the way).
    static func setting(_ document: JSONValue, _ a: String, _ b: String, _ value: JSONValue) -> JSONValue {
        setting(document, [a, b][...], value)
    }

    private static func setting(_ document: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var members: [(String, JSONValue)] = []
        if case .object(let existing) = document { members = existing }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = setting(members[index].1, path.dropFirst(), value)
        } else {
            members.append((key, setting(.null, path.dropFirst(), value)))
        }
        return .object(members)
    }
}
