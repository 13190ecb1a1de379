import Foundation
import Testing

/// Secrets and state stay the operator's: a token file others can read is refused, and what
/// Sluice writes (state directories, database, tokens, logs) is private.
@Suite("file modes", .serialized, .timeLimit(.minutes(10)))
struct FileModeTests {
    @Test("a token file that others can read is refused with the field and the fix; nothing starts")
    func looseTokenFileIsRefused() async throws {
        let serve = try ServeHarness()
        chmod(serve.directory.appendingPathComponent("token").path, 0o644)
        await #expect(throws: HarnessError.self) { try await serve.start() }
        #expect(serve.serveLog.contains("serve.admin.tokenFile"), "\(serve.serveLog)")
        #expect(serve.serveLog.contains("has mode 0644"))
        #expect(serve.serveLog.contains("chmod 600"))
        #expect(!serve.serveLog.contains(serve.token), "the refusal never prints the secret")
    }

    @Test("state directories are 0700; the generated tokens, database, runtime spec and logs are 0600, even where an earlier release left 0755")
    func stateIsPrivate() async throws {
        let harness = try ControllerHarness()
        // What an earlier release created: a world-readable state directory.
        try FileManager.default.createDirectory(
            at: harness.directory.appendingPathComponent("state/serve"), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        func mode(_ relative: String) -> Int? {
            let attributes = try? FileManager.default.attributesOfItem(atPath: harness.directory.appendingPathComponent(relative).path)
            return (attributes?[.posixPermissions] as? Int).map { $0 & 0o777 }
        }
        for directory in ["state/serve", "state/serve/logs", "state/controller", "state/controller/artifacts"] {
            #expect(mode(directory) == 0o700, "\(directory)")
        }
        for file in ["state/serve/admin-token", "state/serve/feedback-token", "state/serve/runtime-spec.json",
                     "state/serve/logs/fraud--v1.log", "state/controller/sluice.sqlite"] {
            #expect(mode(file) == 0o600, "\(file)")
        }
    }
}
