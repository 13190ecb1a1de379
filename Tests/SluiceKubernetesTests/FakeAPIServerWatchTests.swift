import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceTestSupport
import Testing

@Suite("Fake API server (a loopback fake, not a cluster): watch with resume, bookmarks and 410 Expired", .timeLimit(.minutes(10)))
struct FakeAPIServerWatchTests {
    static let deployments = "/apis/apps/v1/namespaces/models/deployments"

    @Test("a watch from a list's resourceVersion gets later changes in order: ADDED, MODIFIED, DELETED")
    func changesAfterResourceVersion() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(FakeAPIServerObjects.deployment("before"))
        let listed = try await client.send(.GET, Self.deployments).json["metadata"]?["resourceVersion"]?.stringValue ?? ""
        var watch = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(listed)&allowWatchBookmarks=true")
        defer { watch.cancel() }
        #expect(watch.status == 200)
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v1"))
        _ = try await client.apply(FakeAPIServerObjects.deployment("iris-v1", replicas: 3))
        _ = try await client.send(.DELETE, "\(Self.deployments)/iris-v1")
        var seen: [String] = []
        for _ in 0..<3 {
            let event = try await watch.nextChange()
            seen.append("\(event?["type"]?.stringValue ?? "-") \(event?["object"]?["metadata"]?["name"]?.stringValue ?? "-")")
        }
        #expect(seen == ["ADDED iris-v1", "MODIFIED iris-v1", "DELETED iris-v1"])
    }

    @Test("bookmarks carry only kind, apiVersion and the current resourceVersion; a resumed watch gets what it missed")
    func bookmarksAndResume() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let rv = KubernetesObject(try await client.apply(FakeAPIServerObjects.deployment("a")).json).resourceVersion ?? ""
        var watch = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true")
        server.sendBookmarks()
        let bookmark = try await watch.next()
        #expect(bookmark?["type"]?.stringValue == "BOOKMARK")
        #expect(bookmark?["object"]?["kind"]?.stringValue == "Deployment" && bookmark?["object"]?["apiVersion"]?.stringValue == "apps/v1")
        #expect(bookmark?["object"]?["metadata"]?["resourceVersion"]?.stringValue == server.resourceVersion)
        #expect(bookmark?["object"]?["spec"] == nil)
        server.closeWatches()
        #expect(try await watch.next() == nil)
        // Changes while no watch is open reach the next one, resumed from the bookmark.
        _ = try await client.apply(FakeAPIServerObjects.deployment("b"))
        var resumed = try await client.watch(
            "\(Self.deployments)?watch=1&resourceVersion=\(bookmark?["object"]?["metadata"]?["resourceVersion"]?.stringValue ?? "")")
        defer { resumed.cancel() }
        let missed = try await resumed.nextChange()
        #expect(missed?["type"]?.stringValue == "ADDED" && missed?["object"]?["metadata"]?["name"]?.stringValue == "b")
    }

    @Test("bookmarks also come on their own when allowed, at the configured interval")
    func periodicBookmarks() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet(bookmarks: .milliseconds(50))
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        var watch = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(server.resourceVersion)&allowWatchBookmarks=true")
        defer { watch.cancel() }
        #expect(try await watch.next()?["type"]?.stringValue == "BOOKMARK")
    }

    @Test("after compactHistory a watch from an older resourceVersion gets an ERROR event: Status 410 Expired, too old resource version")
    func expired() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        let old = KubernetesObject(try await client.apply(FakeAPIServerObjects.deployment("a")).json).resourceVersion ?? ""
        _ = try await client.apply(FakeAPIServerObjects.deployment("b"))
        server.compactHistory()
        var watch = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(old)")
        let event = try await watch.next()
        #expect(event?["type"]?.stringValue == "ERROR")
        let status = event?["object"]
        #expect(status?["kind"]?.stringValue == "Status" && status?["code"]?.intValue == 410 && status?["reason"]?.stringValue == "Expired")
        #expect(status?["message"]?.stringValue == "too old resource version: \(old) (\(server.resourceVersion))")
        #expect(try await watch.next() == nil)
        // From the current resourceVersion (a relist's) the watch works.
        var fresh = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(server.resourceVersion)")
        defer { fresh.cancel() }
        _ = try await client.apply(FakeAPIServerObjects.deployment("c"))
        #expect(try await fresh.nextChange()?["object"]?["metadata"]?["name"]?.stringValue == "c")
    }

    @Test("a label-selected watch sees an object that stops matching as DELETED and one that starts matching as ADDED")
    func selectorTransitions() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(FakeAPIServerObjects.deployment("a", labels: [("tier", .string("x"))]))
        var watch = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(server.resourceVersion)&labelSelector=tier%3Dx")
        defer { watch.cancel() }
        _ = try await client.apply(FakeAPIServerObjects.deployment("a", labels: [("tier", .string("y"))]))
        _ = try await client.apply(FakeAPIServerObjects.deployment("a", labels: [("tier", .string("x"))]))
        #expect(try await watch.nextChange()?["type"]?.stringValue == "DELETED")
        #expect(try await watch.nextChange()?["type"]?.stringValue == "ADDED")
    }

    @Test("a watch without a resourceVersion starts with every current object as ADDED")
    func initialEvents() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown(); await server.stop() } }
        _ = try await client.apply(FakeAPIServerObjects.deployment("a"))
        _ = try await client.apply(FakeAPIServerObjects.deployment("b"))
        var watch = try await client.watch("\(Self.deployments)?watch=1")
        defer { watch.cancel() }
        let first = try await watch.nextChange()
        let second = try await watch.nextChange()
        #expect([first, second].map { $0?["type"]?.stringValue ?? "" } == ["ADDED", "ADDED"])
        #expect([first, second].map { $0?["object"]?["metadata"]?["name"]?.stringValue ?? "" } == ["a", "b"])
    }

    @Test("a watch with timeoutSeconds ends on its own; stop() ends open watches")
    func endings() async throws {
        let server = try await FakeKubernetesAPIServer.startQuiet()
        let client = try FakeAPIServerClientForTests(server)
        defer { Task { await client.shutdown() } }
        var timed = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(server.resourceVersion)&timeoutSeconds=1")
        #expect(try await timed.next() == nil)
        var open = try await client.watch("\(Self.deployments)?watch=1&resourceVersion=\(server.resourceVersion)")
        await server.stop()
        // The stream ends: with its last chunk, or with the connection (a server that went away).
        let after = try? await open.next()
        #expect(after == nil)
    }
}
