import Crypto
import Foundation
import SluiceTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sluice up` following a remote over HTTPS-style token auth: a real smart-HTTP git server
/// (`git http-backend` behind Basic auth on loopback), the real data plane and model servers.
@Suite("sluice up with an HTTP git remote", .serialized, .timeLimit(.minutes(10)))
struct GitRemoteEndToEndTests {
    static let tokenVariable = "SLUICE_E2E_GIT_TOKEN"

    /// Points the harness's config at `url`, with the token from `tokenVariable`. The interval
    /// is long, so only the webhook makes the controller fetch the new commit in time.
    static func followRemote(_ harness: ControllerHarness, url: String) throws {
        let file = harness.directory.appendingPathComponent("sluice.yaml")
        let config = try String(contentsOf: file, encoding: .utf8)
        let local = "  repository: \(harness.repo.path)\n"
        try #require(config.contains(local), "the harness's config names its repository as expected")
        let remote = config
            .replacingOccurrences(of: local, with: "  repository: \(url)\n  branch: main\n  gitTokenEnv: \(tokenVariable)\n")
            .replacingOccurrences(of: "  interval: 30s\n", with: "  interval: 1h\n")
        try #require(remote.contains("interval: 1h"))
        try remote.write(to: file, atomically: true, encoding: .utf8)
    }

    /// A signed GitHub push webhook; returns its status.
    static func webhook(_ harness: ControllerHarness, delivery: String) async throws -> Int? {
        let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
        let mac = HMAC<Crypto.SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(harness.webhookSecret.utf8)))
        var hook = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(harness.controllerPort)/hooks/git")))
        hook.httpMethod = "POST"
        hook.httpBody = body
        hook.setValue("sha256=" + mac.map { String(format: "%02x", $0) }.joined(), forHTTPHeaderField: "X-Hub-Signature-256")
        hook.setValue(delivery, forHTTPHeaderField: "X-GitHub-Delivery")
        hook.setValue("push", forHTTPHeaderField: "X-GitHub-Event")
        return (try await ServeHarness.data(for: hook).1 as? HTTPURLResponse)?.statusCode
    }

    /// The processes (by pid) whose environment or command line contains `secret`.
    static func processes(holding secret: String) -> (environment: [Int32], argv: [Int32]) {
        var environment: [Int32] = [], argv: [Int32] = []
        let needle = Data(secret.utf8)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry) else { continue }
            // procfs files report size 0: read them to the end.
            if let data = try? FileHandle(forReadingAtPath: "/proc/\(pid)/environ")?.readToEnd(), data.range(of: needle) != nil {
                environment.append(pid)
            }
            if let data = try? FileHandle(forReadingAtPath: "/proc/\(pid)/cmdline")?.readToEnd(), data.range(of: needle) != nil {
                argv.append(pid)
            }
        }
        return (environment, argv)
    }

    @Test("webhook → fetch → deploy → a failing canary with onAbort: revert → the revert commit is pushed with the token")
    func revertIsPushedToTheHTTPRemote() async throws {
        let gitToken = "git-token-\(UUID().uuidString)"
        let server = try await GitHTTPServer(username: "x-access-token", token: gitToken)
        defer { server.stop() }
        let remote = try server.createRepository()
        let harness = try ControllerHarness()
        // The harness's working copy is the developer's clone; it pushes to the server's
        // repository by path, so only Sluice ever talks to the server over HTTP.
        try harness.repo.git(["remote", "add", "origin", remote.path])
        let v1 = ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": v1])
        try harness.repo.git(["push", "-q", "origin", "main"])
        try Self.followRemote(harness, url: server.url())
        try harness.start("up", environment: [Self.tokenVariable: gitToken])
        defer { harness.forceStop("up") }
        try await harness.waitFor(health: "Healthy", seconds: 120)
        #expect(try await harness.infer().1 == "v1")

        let load = harness.traffic()
        defer { load.cancel() }
        let bad = try harness.repo.commit("fraud v2 (bad)", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-bad.json")], traffic: ["v1": 0, "v2": 100],
            rollout: ControllerHarness.quickCanary + "    onAbort: revert\n")])
        try harness.repo.git(["push", "-q", "origin", "main"])
        // The hour-long interval leaves the webhook as the only way the controller learns of it.
        #expect(try await Self.webhook(harness, delivery: "delivery-\(UUID().uuidString)") == 202)
        try await harness.waitUntil("the canary of v2 started", seconds: 120) {
            try await harness.history().contains("rolloutStarted")
        }
        try await harness.waitUntil("a revert commit on the server", seconds: 120) {
            try await remote.gitAsync(["log", "-1", "--format=%s", "main"]).hasPrefix("Revert \"fraud v2 (bad)\" for fraud")
        }
        #expect(try remote.git(["rev-parse", "main^"]) == bad, "the revert sits on the failed commit")
        #expect(try remote.git(["log", "-1", "--format=%b", "main"]).contains("This reverts commit \(bad)"))
        #expect(try remote.git(["show", "main:manifests/fraud.yaml"]) + "\n" == v1)
        let history = try await harness.history()
        #expect(history.contains("aborted"), "\(history)")
        #expect(history.contains("reverted"), "\(history)")
        #expect(!history.contains("revertFailed"), "\(history)")
        try await harness.waitUntil("synced on the pushed revert", seconds: 120) {
            try await harness.model()["sync"] as? String == "Synced"
        }
        let requests = try server.requests()
        #expect(requests.contains { $0.method == "POST" && $0.path.hasSuffix("/git-receive-pack") && $0.authorization == .ok && $0.status == 200 })
        #expect(!requests.contains { $0.authorization == .wrong }, "\(requests)")

        // The token is in `sluice up`'s environment, where the operator put it, and nowhere else:
        // not in a log, not in any process's argv, not in the data plane's or a model server's
        // environment.
        let up = try #require(harness.controller?.processIdentifier)
        let holders = Self.processes(holding: gitToken)
        #expect(holders.environment == [up], "only sluice up holds the token: \(holders.environment)")
        #expect(holders.argv.isEmpty, "\(holders.argv)")
        let serveLog = (try? String(contentsOf: harness.directory.appendingPathComponent("state/serve/serve.log"), encoding: .utf8)) ?? ""
        #expect(!harness.log("up").contains(gitToken))
        #expect(!serveLog.contains(gitToken))
        #expect(!server.output().contains(gitToken))
    }

    @Test("a wrong git token: sluice controller names the remote and where the token came from, never the token")
    func aWrongTokenIsReportedWithoutTheToken() async throws {
        let gitToken = "git-token-\(UUID().uuidString)"
        let wrong = "wrong-token-\(UUID().uuidString)"
        let server = try await GitHTTPServer(username: "x-access-token", token: gitToken)
        defer { server.stop() }
        let remote = try server.createRepository()
        let harness = try ControllerHarness()
        try harness.repo.git(["remote", "add", "origin", remote.path])
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.repo.git(["push", "-q", "origin", "main"])
        try Self.followRemote(harness, url: server.url())
        try harness.start("controller", environment: [Self.tokenVariable: wrong])
        defer { harness.forceStop("controller") }
        try await harness.waitUntil("the controller refused the remote", seconds: 120) {
            harness.controller?.isRunning == false || harness.log("controller").contains("cannot clone")
        }
        let log = harness.log("controller")
        #expect(log.contains("cannot clone \(server.url()): the remote refused the token in the environment variable \(Self.tokenVariable)"), "\(log)")
        #expect(!log.contains(wrong))
        #expect(!log.contains(gitToken))
        #expect(try server.requests().contains { $0.authorization == .wrong })
    }

    @Test("sluice rollback --push over HTTP: a refused token is named by its file, never shown; the right one pushes the revert")
    func rollbackPushesWithATokenFile() async throws {
        let token = "git-token-\(UUID().uuidString)"
        let server = try await GitHTTPServer(username: "x-access-token", token: token)
        defer { server.stop() }
        let remote = try server.createRepository()
        let work = try GitFixture()
        try work.git(["remote", "add", "origin", remote.path])
        try work.commit("fraud v1", files: ["manifests/fraud.yaml": manifest("fraud")])
        let bad = try work.commit("fraud: ship v2", files: ["manifests/fraud.yaml": manifest("fraud", versions: ["v1", "v2"])])
        try work.git(["push", "-q", "origin", "main"])
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-rollback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tokenFile = scratch.appendingPathComponent("git-token").path
        let wrong = "wrong-token-\(UUID().uuidString)"
        try wrong.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let arguments = [
            "rollback", "fraud", "--repo", server.url(), "--path", "manifests", "--token-file", tokenFile, "--push",
            "--cache-dir", scratch.appendingPathComponent("cache").path,
        ]
        let refused = try await SluiceBinary.run(arguments)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot clone \(server.url()): the remote refused the token in \(tokenFile)"), "\(refused.stderr)")
        #expect(!(refused.stdout + refused.stderr).contains(wrong))
        #expect(try remote.git(["rev-parse", "main"]) == bad, "nothing was pushed")

        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let pushed = try await SluiceBinary.run(arguments)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains("Pushed main to origin"), "\(pushed.stdout)")
        #expect(!(pushed.stdout + pushed.stderr).contains(token))
        #expect(try remote.git(["rev-parse", "main^"]) == bad)
        #expect(try remote.git(["log", "-1", "--format=%s", "main"]) == "Revert \"fraud: ship v2\" for fraud")
        #expect(try remote.git(["show", "main:manifests/fraud.yaml"]) + "\n" == manifest("fraud"))
    }
}
