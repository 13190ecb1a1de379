import SluiceCore
@testable import sluice
import Testing

/// `sluice status` while a change window holds a model: a line under it saying until when.
@Suite("sluice status: change windows", .timeLimit(.minutes(10)))
struct StatusWindowLineTests {
    @Test("the wait line gives the reason, until when, the window and who overrode it; none without a wait")
    func waitLine() throws {
        let text = #"""
            {"name": "fraud", "sync": "OutOfSync", "health": "Healthy", "reason": "ChangeWindow", "message": "the rollout to v2 100% waits",
             "wait": {"reason": "ChangeWindow", "until": 1796634000, "untilTime": "2026-12-07T09:00:00Z", "message": "deny window spec.windows[0] is open"},
             "windowOverride": {"actor": "dana", "at": 1796600000}}
            """#
        let lines = StatusTable.render([try JSONParser.parse(Array(text.utf8))]).split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[2] == "  waiting (ChangeWindow) until 2026-12-07T09:00:00Z: deny window spec.windows[0] is open; overridden by dana")
        let plain = #"{"name": "fraud", "sync": "Synced", "health": "Healthy", "message": "v1 100%"}"#
        #expect(StatusTable.waitLine(try JSONParser.parse(Array(plain.utf8))) == nil)
        let endless = #"{"name": "fraud", "wait": {"reason": "ChangeWindow", "message": "no allow window is open"}}"#
        #expect(StatusTable.waitLine(try JSONParser.parse(Array(endless.utf8))) == "  waiting (ChangeWindow): no allow window is open")
    }
}
