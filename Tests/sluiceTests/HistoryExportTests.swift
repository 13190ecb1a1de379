import Foundation
import Testing

/// Roles and the audit export through the real binaries: `sluice serve` and `sluice
/// controller` with named tokens, the CLI sending each person's token (`--token-env`), and
/// `sluice history --format json` reading the whole trail back.
@Suite("sluice history: roles and the audit export", .serialized, .timeLimit(.minutes(10)))
struct HistoryExportTests {
    @Test("an operator's promote is recorded under its token's name, a viewer's is refused 403; history --format json has it across models with the commit and time range")
    func namedTokensAndTheTrail() async throws {
        let suffix = UUID().uuidString.prefix(8)
        let aliceVariable = "SLUICE_TEST_ALICE_\(suffix)", vicVariable = "SLUICE_TEST_VIC_\(suffix)"
        let harness = try ControllerHarness(controllerExtra: """
              tokens:
                - {name: alice, role: operator, tokenEnv: \(aliceVariable)}
                - {name: vic, role: viewer, tokenEnv: \(vicVariable)}
            """)
        // Variables of this test alone: the controller and the CLI inherit them.
        setenv(aliceVariable, "alice-token-\(suffix)", 1)
        setenv(vicVariable, "vic-token-\(suffix)", 1)
        let startedAt = Date()
        try harness.repo.commit("fraud v1", files: ["manifests/fraud.yaml": ControllerHarness.fraud([("v1", "fraud-v2.1.json")], traffic: ["v1": 100])])
        try harness.start("serve")
        try harness.start("controller")
        defer { harness.forceStop("controller"); harness.forceStop("serve") }
        try await harness.waitFor(health: "Healthy")
        let approval = "  rollout:\n    steps:\n      - weight: 30\n      - approval: {}\n"
        let commit = try harness.repo.commit("fraud v2", files: ["manifests/fraud.yaml": ControllerHarness.fraud(
            [("v1", "fraud-v2.1.json"), ("v2", "fraud-v2.2.json")], traffic: ["v1": 0, "v2": 100], rollout: approval)])
        try await harness.waitFor(health: "Paused", reason: "AwaitingApproval")

        let refused = try await harness.cli(["promote", "fraud", "--token-env", vicVariable])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the token 'vic' has the role viewer") && refused.stderr.contains("(403)"), "\(refused.stderr)")
        // A variable that is not set is an error, never the config's (admin) token instead.
        let unset = try await harness.cli(["promote", "fraud", "--token-env", "SLUICE_TEST_UNSET_\(suffix)"])
        #expect(unset.status == 64)
        #expect(unset.stderr.contains("--token-env: the environment variable SLUICE_TEST_UNSET_\(suffix) is not set or empty"), "\(unset.stderr)")
        #expect(try await harness.model()["reason"] as? String == "AwaitingApproval")
        let promoted = try await harness.cli(["promote", "fraud", "--token-env", aliceVariable])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        try await harness.waitUntil("v2 promoted") {
            (try await harness.model()["stable"] as? [String: Any])?["version"] as? String == "v2"
        }

        let export = try await harness.cli(["history", "--format", "json", "--since", "1h", "--token-env", vicVariable])
        #expect(export.status == 0, "\(export.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any], "\(export.stdout)")
        let events = try #require(document["events"] as? [[String: Any]])
        let request = try #require(events.first { $0["kind"] as? String == "promoteRequested" }, "\(events)")
        #expect(request["actor"] as? String == "alice")
        #expect(request["model"] as? String == "fraud")
        #expect(request["revision"] as? String == commit)
        #expect((request["time"] as? String)?.hasSuffix("Z") == true)
        #expect(events.contains { $0["kind"] as? String == "deployed" })
        #expect(events.allSatisfy { $0["measurements"] is [Any] })
        #expect(export.stdout.split(separator: "\n").count == events.count + 2, "one event per line between the brackets")

        let before = try await harness.cli(["history", "--format", "json", "--until", ISO8601DateFormatter().string(from: startedAt.addingTimeInterval(-3600))])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout == "{\"events\": []}\n")
        let text = try await harness.cli(["history"])
        #expect(text.stdout.split(separator: "\n").contains { $0.contains("  fraud  ") && $0.contains("promoteRequested") && $0.hasSuffix("[alice]") }, "\(text.stdout)")

        let bad = try await harness.cli(["history", "--since", "yesterday"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--since: expected an RFC 3339 time"), "\(bad.stderr)")
        let backwards = try await harness.cli(["history", "--since", "1h", "--until", "2h"])
        #expect(backwards.status == 64)
        #expect(backwards.stderr.contains("must be before --until"), "\(backwards.stderr)")
    }
}
