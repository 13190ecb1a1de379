import Foundation
import NIOHTTP1
import SluiceCore
import SluiceServe
import Testing
@testable import SluiceController

@Suite("controller config and webhooks")
struct ControllerConfigTests {
    func write(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("controller-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("sluice.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("defaults point the controller at the data plane of the same file")
    func defaults() throws {
        let path = try write("serve:\n  admin:\n    listen: 127.0.0.1:9301\nruntimes: {}\ncontroller:\n  repository: repo\n")
        let config = try ControllerConfig.load(path: path)
        let base = (path as NSString).deletingLastPathComponent
        #expect(config.repository == "\(base)/repo")
        #expect(config.dataPlane == .tcp(host: "127.0.0.1", port: 9301))
        #expect(config.dataPlaneToken == .file("\(base)/.sluice/serve/admin-token"))
        #expect(config.interval == .seconds(30))
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 8090))
        #expect(config.stateDirectory == "\(base)/.sluice/controller")
        #expect(config.allowEmpty == false)
    }

    @Test("a unix-socket admin listener is the controller's data plane address, never a TCP fallback")
    func unixSocketAdmin() throws {
        let path = try write("serve:\n  admin:\n    listen: unix:run/admin.sock\nruntimes: {}\ncontroller:\n  repository: repo\n")
        let base = (path as NSString).deletingLastPathComponent
        #expect(try ControllerConfig.load(path: path).dataPlane == .unix(path: "\(base)/run/admin.sock"))
        let explicit = try write("serve:\n  admin:\n    listen: 127.0.0.1:9301\nruntimes: {}\ncontroller:\n  repository: repo\n  dataPlane: unix:/run/sluice/admin.sock\n")
        #expect(try ControllerConfig.load(path: explicit).dataPlane == .unix(path: "/run/sluice/admin.sock"))
    }

    @Test("controller.metricsTokenEnv / metricsTokenFile put /metrics behind a token; both at once is refused")
    func metricsToken() throws {
        let open = try ControllerConfig.load(path: try write("controller:\n  repository: repo\n"))
        #expect(open.metricsToken == nil)
        let fromEnv = try ControllerConfig.load(path: try write("controller:\n  repository: repo\n  metricsTokenEnv: SCRAPE\n"))
        #expect(fromEnv.metricsToken == .environment("SCRAPE"))
        let path = try write("controller:\n  repository: repo\n  metricsTokenFile: scrape-token\n")
        #expect(try ControllerConfig.load(path: path).metricsToken == .file("\((path as NSString).deletingLastPathComponent)/scrape-token"))
        #expect(throws: ServeConfigError.self) {
            try ControllerConfig.load(path: try write("controller:\n  repository: repo\n  metricsTokenEnv: A\n  metricsTokenFile: b\n"))
        }
    }

    @Test("controller.monitors: collection interval and webhooks, with errors at the field")
    func monitors() throws {
        let path = try write("""
            controller:
              repository: repo
              monitors:
                interval: 2s
                alertWebhook: http://127.0.0.1:9000/hooks/alerts?team=risk
                retrainWebhook: http://127.0.0.1:9001
                webhookTokenEnv: HOOK_TOKEN
            """)
        let config = try ControllerConfig.load(path: path)
        #expect(config.monitorInterval == .seconds(2))
        #expect(config.alertWebhook?.address == UpstreamAddress(host: "127.0.0.1", port: 9000))
        #expect(config.alertWebhook?.path == "/hooks/alerts?team=risk")
        #expect(config.retrainWebhook?.path == "/")
        #expect(config.monitorWebhookToken == .environment("HOOK_TOKEN"))
        let bad = try write("""
            controller:
              repository: repo
              monitors:
                interval: 500ms
                alertWebhook: https://alerts.example.com/x
                retrainWebhok: http://127.0.0.1:9001
            """)
        do {
            _ = try ControllerConfig.load(path: bad)
            Issue.record("accepted a bad monitors section")
        } catch {
            #expect(error.problems.map { $0.replacingOccurrences(of: bad, with: "sluice.yaml") } == [
                "sluice.yaml:4:15: controller.monitors.interval: expected at least 1s, found 500ms",
                "sluice.yaml:5:19: controller.monitors.alertWebhook: expected an http://HOST:PORT/PATH URL, found 'https://alerts.example.com/x'",
                "sluice.yaml:6:5: controller.monitors.retrainWebhok: unknown field; did you mean 'retrainWebhook'? (expected one of interval, alertWebhook, retrainWebhook, webhookTokenEnv, webhookTokenFile)",
            ])
        }
    }

    @Test("problems name the position and field")
    func problems() throws {
        let path = try write("""
            controller:
              repository: https://example.com/models.git
              intervall: 5s
              dataPlane: localhost
              allowEmpty: maybe
            """)
        do {
            _ = try ControllerConfig.load(path: path)
            Issue.record("accepted a bad config")
        } catch {
            let lines = error.problems.map { $0.replacingOccurrences(of: path, with: "sluice.yaml") }
            #expect(lines == [
                "sluice.yaml:3:3: controller.intervall: unknown field; did you mean 'interval'? (expected one of repository, branch, path, interval, listen, tokenEnv, tokenFile, webhookSecretEnv, webhookSecretFile, stateDirectory, dataPlane, dataPlaneTokenEnv, dataPlaneTokenFile, allowEmpty, gitTokenEnv, monitors, metricsTokenEnv, metricsTokenFile)",
                "sluice.yaml:4:14: controller.dataPlane: expected the data plane's admin address, http://HOST:PORT or unix:PATH, found 'localhost'",
                "sluice.yaml:5:15: controller.allowEmpty: expected true or false",
            ])
        }
        let missing = try write("controller:\n  path: manifests\n")
        #expect(throws: ServeConfigError.self) { try ControllerConfig.load(path: missing) }
        let none = try write("serve: {}\n")
        do {
            _ = try ControllerConfig.load(path: none)
        } catch {
            #expect(error.problems.first?.hasSuffix("no `controller:` section (it needs at least `repository:`)") == true)
        }
    }

    @Test("GitHub signatures and GitLab tokens are verified; anything else is refused")
    func webhooks() {
        let verifier = WebhookVerifier(secret: Array("It's a Secret to Everybody".utf8))
        let body = Array("Hello, World!".utf8)
        // The example from GitHub's documentation on validating webhook deliveries.
        var headers = HTTPHeaders()
        headers.add(name: "X-Hub-Signature-256", value: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        #expect(verifier.verify(headers: headers, body: body) == .accepted(.github))
        #expect(verifier.verify(headers: headers, body: body + [0x0A]) == .refused("signature mismatch"))
        headers.replaceOrAdd(name: "X-Hub-Signature-256", value: "sha1=abc")
        #expect(verifier.verify(headers: headers, body: body) == .refused("X-Hub-Signature-256 is not sha256=<hex>"))
        var gitlab = HTTPHeaders()
        gitlab.add(name: "X-Gitlab-Token", value: "It's a Secret to Everybody")
        #expect(verifier.verify(headers: gitlab, body: body) == .accepted(.gitlab))
        gitlab.replaceOrAdd(name: "X-Gitlab-Token", value: "guess")
        #expect(verifier.verify(headers: gitlab, body: body) == .refused("token mismatch"))
        #expect(verifier.verify(headers: HTTPHeaders(), body: body) == .refused("no X-Hub-Signature-256 or X-Gitlab-Token header"))
        #expect(WebhookVerifier(secret: []).verify(headers: gitlab, body: body) == .refused("no webhook secret is configured"))
        // The head alone: a GitLab token is judged at once, a GitHub signature waits for the body.
        #expect(verifier.screen(gitlab) == .refused("token mismatch"))
        gitlab.replaceOrAdd(name: "X-Gitlab-Token", value: "It's a Secret to Everybody")
        #expect(verifier.screen(gitlab) == .accepted(.gitlab))
        #expect(verifier.screen(HTTPHeaders()) == .refused("no X-Hub-Signature-256 or X-Gitlab-Token header"))
        var signed = HTTPHeaders()
        signed.add(name: "X-Hub-Signature-256", value: "sha256=00")
        #expect(verifier.screen(signed) == nil)
    }
}
