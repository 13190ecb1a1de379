import Foundation
import SluiceTestSupport
import Testing

/// The controller's admin token goes to the configured data plane address and nowhere
/// else; `sluice up` passes the data plane no secret it does not need.
@Suite("admin address and secrets", .serialized, .timeLimit(.minutes(10)))
struct AdminAddressTests {
    static let decoyScript = SluiceBinary.packageRoot.appendingPathComponent("Tests/sluiceTests/Fixtures/decoy_listener.py").path

    /// A listener on the address the controller used to fall back to (127.0.0.1:8081)
    /// that records everything it receives.
    final class Decoy {
        private(set) var process = SpawnedProcess()
        let file: URL

        init(directory: URL) async throws {
            file = directory.appendingPathComponent("decoy-received")
            // The script creates the file once it is bound, and exits when it cannot bind (the
            // previous test's decoy, killed without waiting, may hold the port a moment longer):
            // polled, so no read blocks a thread of the cooperative pool.
            let deadline = Date().addingTimeInterval(120)
            while true {
                process = SpawnedProcess()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", AdminAddressTests.decoyScript, "127.0.0.1", "8081", file.path]
                process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
                process.standardError = FileHandle(forWritingAtPath: "/dev/null")
                try process.run()
                while process.isRunning, !FileManager.default.fileExists(atPath: file.path) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                if FileManager.default.fileExists(atPath: file.path) { return }
                guard Date() < deadline else {
                    throw HarnessError("the decoy cannot listen on 127.0.0.1:8081 (is something else there?)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        var received: String { (try? String(contentsOf: file, encoding: .utf8)) ?? "" }

        // SIGKILL without waiting: nothing after the test needs the port back at once.
        deinit { process.signal(SIGKILL) }
    }

    static let probeCommand = "[\(ContainmentTests.python), \(ContainmentTests.probe)]"

    @Test("with the admin API on a unix socket the controller reconciles through it; a listener on 127.0.0.1:8081 receives nothing")
    func controllerUsesTheUnixSocket() async throws {
        let harness = try ControllerHarness(adminListen: "unix:state/admin.sock")
        let decoy = try await Decoy(directory: harness.directory)
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        var reconciled: (any Error)?
        do { try await harness.waitFor(health: "Healthy", seconds: 60) } catch { reconciled = error }
        // Checked first: a controller that sent its token elsewhere never gets Healthy either.
        #expect(decoy.received.isEmpty, "the decoy received: \(decoy.received.prefix(300))")
        if let reconciled { throw reconciled }
        #expect(try await harness.infer().1 == "v1")
    }

    @Test("sluice up works with a unix-socket admin; its model servers see none of its secrets; the decoy receives nothing")
    func upWithUnixSocketAndSecrets() async throws {
        let harness = try ControllerHarness(adminListen: "unix:state/admin.sock", runtimeCommand: Self.probeCommand, runtimeEnv: "{PROBE_REPORT_DIR: reports}")
        try FileManager.default.createDirectory(at: harness.directory.appendingPathComponent("reports"), withIntermediateDirectories: true)
        let decoy = try await Decoy(directory: harness.directory)
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("up", environment: ContainmentTests.secrets)
        defer { harness.forceStop("up") }
        try await harness.waitFor(health: "Healthy", seconds: 60)
        #expect(decoy.received.isEmpty, "the decoy received: \(decoy.received.prefix(300))")
        let report = try #require(ContainmentTests.reports(in: harness.directory).first)
        let environment = try #require(report["environment"] as? [String: String])
        for (name, value) in ContainmentTests.secrets {
            #expect(environment[name] == nil, "\(name) reached the model server through sluice up")
            #expect(!environment.values.contains(value))
        }
        #expect(environment["SLUICE_MODEL"] == "fraud")
    }
}
