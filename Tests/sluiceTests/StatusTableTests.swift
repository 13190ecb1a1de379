import SluiceCore
@testable import sluice
import Testing

/// The `sluice status` table from status JSON as the controller sends it: the routing line
/// under a model routed by more than weights (pins come only from a runtime spec, so they
/// are shown here rather than end to end).
@Suite("sluice status table", .timeLimit(.minutes(10)))
struct StatusTableTests {
    static func model(_ name: String, routing: String?) throws -> JSONValue {
        let routingMember = routing.map { #", "routing": \#($0)"# } ?? ""
        let text = #"{"name": "\#(name)", "sync": "Synced", "health": "Healthy", "weights": {"v1": 100, "v2": 0}\#(routingMember), "message": "v1 100%"}"#
        return try JSONParser.parse(Array(text.utf8))
    }

    @Test("a model with a mirror, a sticky header and a pin gets one routing line under its row; a plain one gets none")
    func routingLine() throws {
        let routed = try Self.model("fraud", routing: #"""
            {"pins": [{"header": "x-canary", "value": "yes", "version": "v2"}], "stickyHeader": "x-user-id", "mirror": {"version": "v2", "percent": 10}}
            """#)
        let lines = StatusTable.render([routed, try Self.model("plain", routing: "{}"), try Self.model("older", routing: nil)])
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(lines)")
        #expect(lines[0].hasPrefix("MODEL "))
        #expect(lines[1].hasPrefix("fraud "))
        #expect(lines[2] == "  routing: mirror 10%→v2, sticky x-user-id, pin x-canary=yes→v2")
        #expect(lines[3].hasPrefix("plain "))
        #expect(lines[4].hasPrefix("older "), "a controller that sends no routing: no line")
        #expect(lines[1].count == lines[3].count, "the routing line does not widen the columns")
    }

    @Test("routing the CLI cannot read is shown as such, naming the field, not dropped")
    func unreadableRouting() throws {
        let odd = try Self.model("fraud", routing: #"{"mirror": {"version": "v2", "percent": "ten"}}"#)
        let lines = StatusTable.render([odd]).split(separator: "\n").map(String.init)
        #expect(lines.last == "  routing: unreadable (routing.mirror.percent: expected a percent 0–100, found a string)")
    }

    @Test("a REPLICAS column shows ready/desired per version when the data plane reports replicas, and a line names the cap that limits them")
    func replicasColumn() throws {
        let text = #"""
            {"name": "fraud", "sync": "Synced", "health": "Healthy", "weights": {"v1": 75, "v2": 25}, "message": "canary",
             "replicas": {"v1": {"desired": 4, "ready": 4, "minReplicas": 4, "maxReplicas": 8},
                          "v2": {"desired": 2, "ready": 1, "minReplicas": 1, "maxReplicas": 2, "limitedBy": "maxProcesses"}}}
            """#
        let scaled = try JSONParser.parse(Array(text.utf8))
        let lines = StatusTable.render([scaled, try Self.model("plain", routing: nil)]).split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0].contains(" WEIGHTS ") && lines[0].contains(" REPLICAS "))
        #expect(lines[1].contains("v1=4/4 v2=1/2"))
        #expect(lines[2] == "  replicas: v2 limited by maxProcesses")
        #expect(lines[3].hasPrefix("plain ") && lines[3].contains(" - "), "a model without replicas shows -")

        let older = StatusTable.render([try Self.model("plain", routing: nil)])
        #expect(!older.contains("REPLICAS"), "no column when nothing reports replicas")
    }
}
