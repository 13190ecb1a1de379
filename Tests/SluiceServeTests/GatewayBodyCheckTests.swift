import NIOCore
import SluiceCore
@testable import SluiceServe
import Testing

/// The inference body's check (no tree built) answers as parsing the body did: nothing for
/// a JSON object, the same 400 and message for anything else.
@Suite("gateway: inference body check", .timeLimit(.minutes(10)))
struct GatewayBodyCheckTests {
    /// What the gateway answered when it parsed every body.
    private static func parsedRefusal(_ body: ByteBuffer) -> String? {
        do {
            guard case .object = try JSONParser.parse(body) else { return #"{"error":"request body must be a JSON object with \"inputs\""}"# }
            return nil
        } catch {
            return "{\"error\":\(JSONText.quote("request body is not JSON: \(error)"))}"
        }
    }

    @Test(arguments: [
        #"{"inputs":[]}"#, "{}", " {\n} ", "[]", "1", "\"x\"", "null", "", "{", "{\"inputs\":[1,]}", "{\"a\":1} trailing",
        "{\"a\":\"\\q\"}", "{\"a\":01}", String(repeating: "[", count: 129) + String(repeating: "]", count: 129),
        String(repeating: "[", count: 128) + String(repeating: "]", count: 128), "{\"a\":\"\u{1}\"}", "\n\n  {\"a\": tru}",
    ])
    func sameAnswerAsParsing(body: String) {
        let buffer = ByteBuffer(string: body)
        let refusal = Gateway.refusal(ofBody: buffer)
        #expect(refusal.flatMap { $0.body.map { String(buffer: $0) } } == Self.parsedRefusal(buffer))
        if let refusal { #expect(refusal.status == .badRequest) }
    }
}
