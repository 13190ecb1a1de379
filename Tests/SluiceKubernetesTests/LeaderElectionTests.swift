import NIOCore
import SluiceConfig
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Leader election against the fake API server: one Lease, exactly one leader, takeover after expiry or release", .timeLimit(.minutes(10)))
struct LeaderElectionTests {
    let namespace = ClientFixture.namespace
    /// Short durations so takeovers happen quickly: a 2 s lease.
    let config = LeaderElectionConfig(
        leaseName: "sluice-controller", leaseDuration: .seconds(2), renewDeadline: SluiceCore.Duration(milliseconds: 1500),
        retryPeriod: SluiceCore.Duration(milliseconds: 200))

    /// Each lease request gives up after this and the elector tries again at its next period,
    /// as client-go bounds each try: a request lost on the way (seen once in a CI run, where a
    /// GET to the fake hung until the client's 60 s timeout) must not outlast the test's wait.
    static let requestTimeout = TimeAmount.seconds(5)

    func elector(_ client: KubernetesClient, _ identity: String) -> LeaderElector {
        LeaderElector(client: client, namespace: namespace, config: config, identity: identity, logger: ClientFixture.logger)
    }

    func holder(_ fake: FakeKubernetesAPIServer) -> String? {
        fake.object(kind: .lease, namespace: namespace, name: "sluice-controller")?["spec", "holderIdentity"]?.stringValue
    }

    @Test("two electors: exactly one leads, and it is the Lease's holder")
    func oneLeader() async throws {
        try await ClientFixture.withClient(timeout: Self.requestTimeout) { fake, client in
            let (a, b) = (elector(client, "replica-a"), elector(client, "replica-b"))
            let runs = [Task { await a.run() }, Task { await b.run() }]
            #expect(await ClientFixture.eventually { a.isLeader || b.isLeader })
            // Through several renewals, never both.
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(300))
                #expect(!(a.isLeader && b.isLeader))
            }
            #expect(await ClientFixture.eventually { a.isLeader != b.isLeader })
            let leader = a.isLeader ? "replica-a" : "replica-b"
            #expect(holder(fake) == leader)
            let lease = fake.object(kind: .lease, namespace: namespace, name: "sluice-controller")
            #expect(lease?["spec", "leaseDurationSeconds"]?.intValue == 2)
            let renewTime = lease?["spec", "renewTime"]?.stringValue ?? ""
            #expect(renewTime.count == "2006-01-02T15:04:05.000000Z".count && renewTime.hasSuffix("Z"))
            for run in runs { run.cancel() }
            for run in runs { await run.value }
            #expect(!a.isLeader && !b.isLeader)
        }
    }

    @Test("when the leader stops renewing, the other takes over after the lease expires and leaseTransitions grows")
    func takeoverAfterExpiry() async throws {
        try await ClientFixture.withClient(timeout: Self.requestTimeout) { fake, client in
            let first = elector(client, "replica-a")
            let firstRun = Task { await first.run() }
            #expect(await ClientFixture.eventually { first.isLeader })
            let second = elector(client, "replica-b")
            let secondRun = Task { await second.run() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(!(first.isLeader && second.isLeader))
            let transitions = fake.object(kind: .lease, namespace: namespace, name: "sluice-controller")?["spec", "leaseTransitions"]?.intValue ?? 0
            firstRun.cancel()  // as a killed replica: no release
            await firstRun.value
            #expect(!first.isLeader)
            #expect(await ClientFixture.eventually { second.isLeader })
            #expect(holder(fake) == "replica-b")
            #expect(fake.object(kind: .lease, namespace: namespace, name: "sluice-controller")?["spec", "leaseTransitions"]?.intValue == transitions + 1)
            secondRun.cancel()
            await secondRun.value
        }
    }

    @Test("release clears the holder so the other replica takes over at its next try")
    func releaseHandsOver() async throws {
        // A long lease: only a release can explain a prompt takeover.
        let config = LeaderElectionConfig(
            leaseName: "sluice-controller", leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: SluiceCore.Duration(milliseconds: 200))
        try await ClientFixture.withClient(timeout: Self.requestTimeout) { fake, client in
            let first = LeaderElector(client: client, namespace: namespace, config: config, identity: "replica-a", logger: ClientFixture.logger)
            let firstRun = Task { await first.run() }
            #expect(await ClientFixture.eventually { first.isLeader })
            let second = LeaderElector(client: client, namespace: namespace, config: config, identity: "replica-b", logger: ClientFixture.logger)
            let secondRun = Task { await second.run() }
            firstRun.cancel()
            await firstRun.value
            await first.release()
            #expect(holder(fake) != "replica-a")
            #expect(await ClientFixture.eventually(within: .seconds(20)) { second.isLeader })
            #expect(holder(fake) == "replica-b")
            secondRun.cancel()
            await secondRun.value
        }
    }

    @Test("a release after a renewal it never saw (a stale resourceVersion) re-reads the lease and still releases it")
    func releaseAfterAnUnseenRenewal() async throws {
        try await ClientFixture.withClient(timeout: Self.requestTimeout) { fake, client in
            let first = elector(client, "replica-a")
            let run = Task { await first.run() }
            #expect(await ClientFixture.eventually { first.isLeader })
            run.cancel()
            await run.value
            // The server changes the lease behind the elector's back (the holder stays): the
            // elector's cached copy is now one version behind, and a plain replace would get 409.
            let lease = try #require(fake.object(kind: .lease, namespace: namespace, name: "sluice-controller"))
            _ = try fake.put(lease)
            await first.release()
            #expect((holder(fake) ?? "").isEmpty, "the lease is still held by \(holder(fake) ?? "")")
        }
    }

    @Test("a renewal the API server never answers ends at the renew deadline, not at the client's timeout, and the leader takes the lease back")
    func unansweredRenewal() async throws {
        // The client's own timeout is a minute: only the renew deadline can end the silent request in time.
        try await ClientFixture.withClient(timeout: .seconds(60)) { fake, client in
            let leader = elector(client, "replica-a")
            let run = Task { await leader.run() }
            #expect(await ClientFixture.eventually { leader.isLeader })
            fake.silenceNext(method: "GET", pathContains: "/leases/sluice-controller")
            let silenced = fake.requestLog.count
            // Renewals go on (a GET and a PUT each): the silent GET held the loop for at most the renew deadline.
            let renewed = await ClientFixture.eventually(within: .seconds(30)) {
                fake.requestLog.dropFirst(silenced).filter { $0.method == "PUT" && $0.path.hasSuffix("/leases/sluice-controller") }.count >= 3
            }
            #expect(renewed, "no renewal reached the server in 30 s after a GET went unanswered")
            #expect(leader.isLeader)
            #expect(holder(fake) == "replica-a")
            run.cancel()
            await run.value
        }
    }
}
