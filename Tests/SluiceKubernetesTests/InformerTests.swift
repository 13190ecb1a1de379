import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Informer against the fake API server: its cache follows the server through watch ends, bookmarks and 410 Gone", .timeLimit(.minutes(10)))
struct InformerTests {
    let namespace = ClientFixture.namespace

    /// Runs `body` with an informer of Deployments in the test namespace running beside it.
    func withInformer(
        options: FakeKubernetesAPIServer.Options = .init(),
        _ body: @Sendable (FakeKubernetesAPIServer, KubernetesClient, ResourceInformer) async throws -> Void
    ) async throws {
        try await ClientFixture.withClient(options: options) { fake, client in
            let informer = ResourceInformer(client: client, kind: .deployment, namespace: namespace, labelSelector: nil, logger: ClientFixture.logger)
            let running = Task { await informer.run() }
            do {
                try await informer.waitUntilSynced()
                try await body(fake, client, informer)
                running.cancel()
                await running.value
            } catch {
                running.cancel()
                await running.value
                throw error
            }
        }
    }

    /// `withInformer` on a fake that sends no bookmarks unasked and writes no status, so the
    /// resourceVersion moves only with the test's own changes.
    func withQuietInformer(_ body: @Sendable (FakeKubernetesAPIServer, KubernetesClient, ResourceInformer) async throws -> Void) async throws {
        var options = FakeKubernetesAPIServer.Options()
        options.bookmarkInterval = nil
        try await withInformer(options: options) { fake, client, informer in
            fake.automaticStatus = false
            try await body(fake, client, informer)
        }
    }

    /// How many list (not watch) requests the fake received.
    static func lists(_ fake: FakeKubernetesAPIServer) -> Int {
        fake.requestLog.filter { $0.method == "GET" && $0.query["watch"] == nil }.count
    }

    /// Whether the cache holds exactly the server's objects, at the server's resourceVersions.
    static func matches(_ informer: ResourceInformer, _ fake: FakeKubernetesAPIServer, namespace: String) async -> Bool {
        let cached = await informer.objects().map { "\($0.name)@\($0.resourceVersion ?? "")" }
        let stored = fake.objects(kind: .deployment, namespace: namespace).map { "\($0.name)@\($0.resourceVersion ?? "")" }
        return cached.sorted() == stored.sorted()
    }

    @Test("after a burst of 200 applies, edits and deletes the cache equals the server's objects, from one list")
    func burst() async throws {
        try await withInformer { fake, client, informer in
            for index in 0..<150 { _ = try await client.apply(ClientFixture.deployment("m\(index)-v1")) }
            for index in stride(from: 0, to: 150, by: 3) {
                try await client.delete(.deployment, namespace: namespace, name: "m\(index)-v1", uid: nil)
            }
            for index in stride(from: 1, to: 150, by: 3) { _ = try await client.apply(ClientFixture.deployment("m\(index)-v1", replicas: 2)) }
            #expect(await ClientFixture.eventually { await Self.matches(informer, fake, namespace: namespace) })
            #expect(await informer.objects().count == 100)
            #expect(await informer.object(named: "m1-v1")?["spec", "replicas"]?.intValue == 2)
            #expect(await informer.object(named: "m0-v1") == nil)
            // One list; everything else came over the watch.
            #expect(Self.lists(fake) == 1)
            #expect(await informer.changeCount >= 1 + 150 + 50 + 50)
        }
    }

    @Test("when the server ends the watch, the informer watches again from the last resourceVersion, without relisting")
    func resumeAfterClose() async throws {
        try await withQuietInformer { fake, client, informer in
            _ = try await client.apply(ClientFixture.deployment("iris-v1"))
            #expect(await ClientFixture.eventually { await informer.object(named: "iris-v1") != nil })
            let resumeFrom = await informer.resourceVersion
            fake.closeWatches()
            _ = try await client.apply(ClientFixture.deployment("iris-v2"))
            #expect(await ClientFixture.eventually { await Self.matches(informer, fake, namespace: namespace) })
            let watches = fake.requestLog.filter { $0.query["watch"] == "1" }
            #expect(watches.count >= 2)
            #expect(watches.contains { $0.query["resourceVersion"] == resumeFrom })
            #expect(watches.allSatisfy { $0.query["allowWatchBookmarks"] == "true" && $0.query["timeoutSeconds"] != nil })
            #expect(Self.lists(fake) == 1)
        }
    }

    @Test("bookmarks advance the resourceVersion a watch resumes from")
    func bookmarks() async throws {
        try await withQuietInformer { fake, client, informer in
            // Changes elsewhere move the server's resourceVersion but send this watch nothing.
            for index in 0..<3 { _ = try await client.apply(ClientFixture.deployment("other-v\(index)", namespace: "elsewhere")) }
            let before = await informer.resourceVersion
            #expect(before != fake.resourceVersion)
            let changes = await informer.changeCount
            fake.sendBookmarks()
            #expect(await ClientFixture.eventually { await informer.resourceVersion == fake.resourceVersion })
            #expect(await informer.changeCount == changes)
            // So history compacted up to now does not force a relist.
            fake.compactHistory()
            fake.closeWatches()
            _ = try await client.apply(ClientFixture.deployment("iris-v1"))
            #expect(await ClientFixture.eventually { await informer.object(named: "iris-v1") != nil })
            #expect(Self.lists(fake) == 1)
        }
    }

    @Test("a watch from a compacted resourceVersion (410 Gone) relists and replaces the cache")
    func relistAfterGone() async throws {
        try await withQuietInformer { fake, client, informer in
            _ = try await client.apply(ClientFixture.deployment("iris-v1"))
            #expect(await ClientFixture.eventually { await informer.object(named: "iris-v1") != nil })
            _ = try await client.apply(ClientFixture.deployment("other-v1", namespace: "elsewhere"))
            let changes = await informer.changeCount
            fake.compactHistory()
            fake.closeWatches()
            #expect(await ClientFixture.eventually {
                Self.lists(fake) == 2
            })
            #expect(await ClientFixture.eventually { await informer.resourceVersion == fake.resourceVersion })
            #expect(await informer.changeCount > changes)
            #expect(await Self.matches(informer, fake, namespace: namespace))
        }
    }

    @Test("waitUntilSynced throws the list's error when the first list is refused")
    func syncFailure() async throws {
        try await ClientFixture.withClient { fake, client in
            fake.failNext(method: "GET", pathContains: "/deployments", status: 403, count: 1000)
            let informer = ResourceInformer(client: client, kind: .deployment, namespace: namespace, labelSelector: nil, logger: ClientFixture.logger)
            let running = Task { await informer.run() }
            let failure = await #expect(throws: KubernetesError.self) { try await informer.waitUntilSynced() }
            running.cancel()
            await running.value
            #expect(failure?.kind == .forbidden)
        }
    }
}

@Suite("Informer at scale against the fake API server: a thousand objects cost one list and one watch", .timeLimit(.minutes(10)))
struct InformerScaleTests {
    @Test("1,000 objects sync from one paged list; 1,000 edits arrive over the watch without another list")
    func thousandObjects() async throws {
        let namespace = ClientFixture.namespace
        try await ClientFixture.withClient { fake, client in
            fake.automaticStatus = false
            for index in 0..<1000 { try fake.put(ClientFixture.deployment("m\(index)-v1")) }
            let informer = ResourceInformer(client: client, kind: .deployment, namespace: namespace, labelSelector: nil, logger: ClientFixture.logger)
            let running = Task { await informer.run() }
            try await informer.waitUntilSynced()
            #expect(await informer.objects().count == 1000)
            let requestsAfterSync = client.requestCount
            for index in 0..<1000 {
                fake.edit(kind: .deployment, namespace: namespace, name: "m\(index)-v1") { document in
                    document = ClientTests.setting(document, "spec", "replicas", .int(2))
                }
            }
            let converged = await ClientFixture.eventually(within: .seconds(60)) {
                await informer.objects().allSatisfy { $0["spec", "replicas"]?.intValue == 2 }
            }
            #expect(converged)
            #expect(await InformerTests.matches(informer, fake, namespace: namespace))
            // The edits cost no request: at most a re-watch if the server ended the stream.
            #expect(client.requestCount - requestsAfterSync <= 1)
            running.cancel()
            await running.value
        }
    }
}
