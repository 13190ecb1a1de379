import NIOCore
import NIOEmbedded
import NIOHTTP1
import SluiceCore
@testable import SluiceServe
import Testing

/// The server side's per-request shortcuts answer as the code they replace: path segments
/// found over bytes, the checked body read without a second check, headers copied as
/// pairs, and the response written without formatting numbers.
@Suite("gateway: server path shortcuts", .timeLimit(.minutes(10)))
struct GatewayServerPathTests {
    /// The sampling generator with a fixed seed, so a failure repeats.
    private struct SplitMix: RandomNumberGenerator {
        var inner: SplitMix64
        init(state: UInt64) { inner = SplitMix64(state: state) }
        mutating func next() -> UInt64 { inner.next() }
    }

    private func expectSameSegments(_ path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        // The path is the target up to its first '?'.
        let expected = (path.firstIndex(of: "?").map { path[..<$0] } ?? path[...]).split(separator: "/", omittingEmptySubsequences: true)
        let segments = PathSegments(target: path)
        let query = PathSegments(target: path + "?q=/v2/x&y=?/")
        #expect(segments.count == expected.count, "count of \(path)", sourceLocation: sourceLocation)
        #expect(query.count == expected.count, "count of \(path) with a query", sourceLocation: sourceLocation)
        for index in 0..<min(expected.count, PathSegments.capacity) {
            #expect(segments.string(index) == expected[index], "segment \(index) of \(path)", sourceLocation: sourceLocation)
            #expect(query.string(index) == expected[index], "segment \(index) of \(path) with a query", sourceLocation: sourceLocation)
            // Every length a literal is compared at in a word (1 to 8 bytes), one past it, and
            // neighbours that share a prefix or differ in the last byte.
            for literal in Self.literals {
                #expect(
                    segments.segment(index, is: literal) == (expected[index] == literal.description),
                    "segment \(index) of \(path) against \(literal)", sourceLocation: sourceLocation)
            }
        }
        #expect(!segments.segment(PathSegments.capacity, is: "v2"), sourceLocation: sourceLocation)
        #expect(!segments.segment(expected.count, is: "v2"), sourceLocation: sourceLocation)
    }

    private static let literals: [StaticString] = [
        "v", "v2", "v3", "v2x", "a", "ab", "abc", "abcd", "bench", "model", "models", "modelx", "health", "metrics", "infer",
        "inferx", "versions", "versiona", "feedback", "feedbacks", "bench-model-v1",
    ]

    @Test("path segments agree with split(separator: \"/\") on the gateway's routes, empty segments and long paths")
    func pathSegmentsAgreeWithSplit() {
        for path in [
            "", "/", "//", "///", "/v2", "v2", "/v2/", "//v2//", "/v2/health/live", "/v2/health/ready/", "/metrics", "/metrics/",
            "/v2/models/bench/infer", "/v2/models/bench/versions/v1/infer", "/v2/models/bench/versions/v1/infer/x",
            "/v2/models/bench/versions/v1/infer/x/y/z", "/v2/models//bench///infer", "/v2/models/bench/versions",
            "/a/b/c/d/e/f/g/h/i/j", "/v2/models/%2F/infer", "/v2/models/a~b!c$d&e'f(g)h*i+j,k;l=m:n@o/infer",
            "/v", "/v/a", "a/ab/abc/abcd", "/v2/models/bench-model-v1/versions/versiona/feedbacks", "/metrics?x",
        ] {
            expectSameSegments(path)
        }
    }

    @Test("path segments agree with split on 5,000 random paths of visible ASCII (fixed seed)")
    func pathSegmentsRandom() {
        var random = SplitMix(state: 18)
        let alphabet = Array("/////vm2ab-_.~%?".utf8) + (33...126).map { UInt8($0) }
        for _ in 0..<5000 {
            let length = Int.random(in: 0...40, using: &random)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
            expectSameSegments(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test("the query string is cut at the first '?', as before")
    func pathWithoutQuery() {
        let loop = EmbeddedEventLoop()
        for (uri, path) in [("/v2/models/m/infer?x=1", "/v2/models/m/infer"), ("/a?b?c", "/a"), ("/?", "/"), ("/plain", "/plain")] {
            let request = ServerRequest(head: RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)), body: ByteBuffer(), eventLoop: loop)
            #expect(request.path == path)
        }
    }

    /// What the gateway read from a body before: the byte reader with its own check.
    private static func readBefore(_ body: String, member: String) -> [String] {
        let features = Array(body.utf8).withUnsafeBufferPointer { InferenceTensors.features(inJSON: $0, member: member) } ?? []
        return features.map { "\($0.name)=\($0.values)" }
    }

    @Test("a checked body exists only for a JSON object, and reads the same features without a second check")
    func checkedBody() {
        let bodies = [
            #"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP64","data":[120.5,0.3,14,2.5]}]}"#,
            #"{"inputs":[{"name":"a","shape":[2],"data":[1,2]},{"name":"b","shape":[1],"data":["x"]}],"inputs":[]}"#,
            #"{"inputs":[{"name":"a","shape":[3],"data":[1,2]}]}"#, "{}", #"{"outputs":[{"name":"o","shape":[1],"data":[0.5]}]}"#,
            " {\"inputs\" : [ ] } ",
        ]
        for body in bodies {
            guard case .success(let checked) = CheckedJSONObject.check(ByteBuffer(string: body)) else {
                Issue.record("refused \(body)")
                continue
            }
            for member in ["inputs", "outputs"] {
                #expect(checked.features(member: member).map { "\($0.name)=\($0.values)" } == Self.readBefore(body, member: member), "\(body)")
            }
        }
        for refused in ["", "[]", "1", "null", "\"x\"", "{", #"{"inputs":[1,]}"#, "{\"a\":1} x", "\u{FEFF}{}"] {
            guard case .failure(let refusal) = CheckedJSONObject.check(ByteBuffer(string: refused)) else {
                Issue.record("accepted \(refused)")
                continue
            }
            #expect(refusal.response.status == .badRequest)
            #expect(Gateway.refusal(ofBody: ByteBuffer(string: refused))?.body == refusal.response.body)
        }
    }

    @Test("a checked body reads what the byte reader read before, on 2,000 random edits of a valid body (fixed seed)")
    func checkedBodyRandomEdits() {
        var random = SplitMix(state: 6)
        let base = Array(#"{"inputs":[{"name":"input-0","shape":[1,2],"datatype":"FP64","data":[1.5,2]},{"name":"b","shape":[1],"data":[true]}]}"#.utf8)
        let inserts = Array("{}[],:\"\\01e.-tn ".utf8)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(inserts.randomElement(using: &random)!, at: at)
                default: bytes[at] = inserts.randomElement(using: &random)!
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let buffer = ByteBuffer(bytes: bytes)
            let isObject = bytes.withUnsafeBufferPointer { JSONParser.validate($0) } == .object
            switch CheckedJSONObject.check(buffer) {
            case .success(let checked):
                #expect(isObject, "accepted \(text)")
                #expect(checked.features(member: "inputs").map { "\($0.name)=\($0.values)" } == Self.readBefore(String(decoding: bytes, as: UTF8.self), member: "inputs"))
            case .failure:
                #expect(!isObject, "refused \(text)")
            }
        }
    }

    @Test("the writer's framing names in any case, and nothing else of those lengths")
    func framingNames() {
        for name in ["content-length", "Content-Length", "CONNECTION", "connection", "Transfer-Encoding"] {
            #expect(RequestHandler.isFraming(name))
        }
        for name in ["x-sluice-model", "content-lengtH2", "connectioN ", "transfer-encodinG2", "content_length", "", "x-request-id"] {
            #expect(!RequestHandler.isFraming(name), "\(name)")
        }
    }

    @Test("numbers are written in decimal as String(_:) writes them, within the writer's bound")
    func decimals() {
        // Every count of digits, at both of its ends.
        let powers = (1...18).reduce(into: [1]) { powers, _ in powers.append(powers.last! * 10) }
        let edges = powers.flatMap { [$0 - 1, $0, $0 + 1] }
        for value in [0, 1, 9, 10, 99, 100, 200, 404, 12_345, 1 << 20, Int(Int32.max), Int.max, Int.max - 1] + edges {
            var buffer = ByteBuffer(string: "x")
            buffer.writeHead(maximumBytes: HeadBytesWriter.maximumDecimalBytes) { $0.appendDecimal(value) }
            #expect(String(buffer: buffer) == "x" + String(value))
        }
    }

    @Test("a head is written piece by piece after what the buffer holds, strings of any form included")
    func headPieces() {
        let composed = "caf\u{E9}"  // precomposed é: two UTF-8 bytes
        let suffix = String("xx-long-header-value-beyond-fifteen-bytes".dropFirst(3))
        var buffer = ByteBuffer(string: "AB")
        buffer.writeHead(maximumBytes: 64) { head in
            head.append("GET ")
            head.append(string: composed)
            head.append(UInt8(ascii: " "))
            head.append(string: suffix)
            head.append(UnsafeRawBufferPointer(start: nil, count: 0))
            head.append("")
            head.append(string: "")
            head.appendDecimal(7)
        }
        #expect(String(buffer: buffer) == "ABGET caf\u{E9} long-header-value-beyond-fifteen-bytes7")
    }
}
