import SluiceCore
@testable import sluice
import Testing

/// `sluice status` during and after a shadow step (issue 16): a line under the model with the
/// last shadow-step run's pairs, agreement and shed copies, and the paired mirror on the
/// routing line.
@Suite("sluice status: shadow steps", .timeLimit(.minutes(10)))
struct StatusShadowLineTests {
    static func model(_ extra: String) throws -> JSONValue {
        let text = #"{"name": "iris", "sync": "OutOfSync", "health": "Degraded", "weights": {"v1": 100}, "lastAnalysis": {"verdict": "Failed"}, "message": "rolled back"\#(extra)}"#
        return try JSONParser.parse(Array(text.utf8))
    }

    @Test("the shadow line gives pairs, agreement against its minimum, and the copies shed")
    func shadowLine() throws {
        let model = try Self.model(#"""
            , "shadow": {"percent": 100, "version": "v2", "verdict": "Failed", "at": 10, "pairs": 603, "copies": 620, "answered": 610,
              "candidateErrors": 0, "shed": 12, "tolerance": 0, "agreement": 0.14, "agreementMin": 0.9},
              "routing": {"mirror": {"version": "v2", "percent": 100, "pairing": {"tolerances": [0]}}}
            """#)
        let lines = StatusTable.render([model]).split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[1].contains("Failed"))
        #expect(lines[2] == "  routing: mirror 100%→v2 (paired)")
        #expect(lines[3] == "  shadow 100% → v2: 603 pairs, agreement 0.14 (min 0.9), 12 shed")
    }

    @Test("agreement at a tolerance says so; candidate errors are named; no shadow member, no line")
    func variants() throws {
        let model = try Self.model(#"""
            , "shadow": {"percent": 50, "pairs": 90, "shed": 0, "candidateErrors": 3, "tolerance": 0.01, "agreement": 0.98}
            """#)
        #expect(StatusTable.shadowLine(model) == "  shadow 50%: 90 pairs, agreement 0.98 at tolerance 0.01, 3 candidate errors, 0 shed")
        #expect(StatusTable.shadowLine(try Self.model("")) == nil)
    }
}
