import NIOCore
import Testing
@testable import SluiceServe

/// The gateway's hand-written gRPC wire reading: message framing and the few protobuf
/// fields it needs, on good input and on every kind of malformed input.
@Suite("gRPC wire reading")
struct GRPCWireTests {
    private func message(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test("model_name and model_version are read among fields of every wire type; the last occurrence wins")
    func readsNameAndVersion() throws {
        // field 3 varint 150, field 1 "iris", field 9 fixed64, field 2 "v2", field 10 fixed32, field 1 "iris2", field 6 bytes
        let bytes: [UInt8] = [0x18, 0x96, 0x01, 0x0A, 4] + Array("iris".utf8) + [0x49] + Array(repeating: 0, count: 8)
            + [0x12, 2] + Array("v2".utf8) + [0x55, 1, 2, 3, 4] + [0x0A, 5] + Array("iris2".utf8) + [0x32, 3, 0xFF, 0xFE, 0xFD]
        let fields = try ProtobufFields.strings(in: message(bytes), fields: [1, 2])
        #expect(fields == [1: "iris2", 2: "v2"])
        #expect(try ProtobufFields.strings(in: ByteBuffer(), fields: [1]).isEmpty)
    }

    @Test("malformed protobuf is a problem that says what is wrong, never a crash or an over-read")
    func refusesMalformed() {
        let cases: [([UInt8], ProtobufFields.Problem)] = [
            ([0x0A], .truncated),
            ([0x0A, 0x05, 0x61], .truncated),
            ([0x0A, 0xFF], .truncated),
            ([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .overlongVarint),
            ([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .truncated),
            ([0x09, 1, 2], .truncated),
            ([0x0D, 1], .truncated),
            ([0x0B], .unsupportedWireType(3)),
            ([0x0F], .unsupportedWireType(7)),
            ([0x00, 0x01], .fieldZero),
            ([0x0A, 0x02, 0xC3, 0x28], .notUTF8(field: 1)),
        ]
        for (bytes, expected) in cases {
            #expect(throws: expected, "\(bytes)") { try ProtobufFields.strings(in: message(bytes), fields: [1]) }
        }
        // Any byte string: a problem or a result, nothing else.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<24, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? ProtobufFields.strings(in: message(bytes), fields: [1, 2])
        }
    }

    @Test("a unary body is exactly one uncompressed length-prefixed message")
    func framing() throws {
        let framed = GRPCMessageFraming.frame(message([1, 2, 3]))
        #expect(Array(framed.readableBytesView) == [0, 0, 0, 0, 3, 1, 2, 3])
        #expect(Array(try GRPCMessageFraming.singleMessage(in: framed).readableBytesView) == [1, 2, 3])
        #expect(throws: GRPCMessageFraming.Problem.truncated(announced: 0, present: 3)) { try GRPCMessageFraming.singleMessage(in: message([0, 0, 0])) }
        #expect(throws: GRPCMessageFraming.Problem.truncated(announced: 9, present: 1)) { try GRPCMessageFraming.singleMessage(in: message([0, 0, 0, 0, 9, 1])) }
        #expect(throws: GRPCMessageFraming.Problem.trailingBytes(2)) { try GRPCMessageFraming.singleMessage(in: message([0, 0, 0, 0, 1, 1, 0, 0])) }
        #expect(throws: GRPCMessageFraming.Problem.compressed) { try GRPCMessageFraming.singleMessage(in: message([1, 0, 0, 0, 1, 1])) }
        #expect(throws: GRPCMessageFraming.Problem.truncated(announced: Int(UInt32.max), present: 0)) {
            try GRPCMessageFraming.singleMessage(in: message([0, 0xFF, 0xFF, 0xFF, 0xFF]))
        }
    }

    @Test("grpc-message is percent-encoded; every code has its name and an HTTP equivalent")
    func statusText() {
        #expect(GRPCReply.percentEncoded("model 'é' 100%\n") == "model '%C3%A9' 100%25%0A")
        #expect(GRPCStatusCode(trailer: "5") == .notFound)
        #expect(GRPCStatusCode(trailer: "99") == .unknown)
        #expect(GRPCStatusCode(trailer: nil) == .unknown)
        #expect(Set(GRPCStatusCode.allCases.map(\.name)).count == 17)
        #expect(GRPCStatusCode.ok.httpEquivalent == 200 && GRPCStatusCode.unavailable.httpEquivalent == 503)
    }
}

@Suite("grpc-timeout values")
struct GRPCTimeoutTests {
    @Test("every unit is read; at most 8 digits; anything else is a problem that names the value")
    func parse() throws {
        #expect(try GRPCTimeout.parse("1H") == .hours(1))
        #expect(try GRPCTimeout.parse("2M") == .minutes(2))
        #expect(try GRPCTimeout.parse("30S") == .seconds(30))
        #expect(try GRPCTimeout.parse("250m") == .milliseconds(250))
        #expect(try GRPCTimeout.parse("7u") == .microseconds(7))
        #expect(try GRPCTimeout.parse("0n") == .nanoseconds(0))
        #expect(try GRPCTimeout.parse("2562047H") == .hours(2_562_047))
        #expect(try GRPCTimeout.parse("99999999H") == .nanoseconds(.max))
        #expect(try GRPCTimeout.parse("99999999M") == .minutes(99_999_999))
        #expect(throws: GRPCTimeout.Problem.empty) { try GRPCTimeout.parse("") }
        #expect(throws: GRPCTimeout.Problem.tooManyDigits("123456789m")) { try GRPCTimeout.parse("123456789m") }
        #expect(throws: GRPCTimeout.Problem.unknownUnit("10s")) { try GRPCTimeout.parse("10s") }
        #expect(throws: GRPCTimeout.Problem.unknownUnit("10")) { try GRPCTimeout.parse("10") }
        #expect(throws: GRPCTimeout.Problem.notDigits("m")) { try GRPCTimeout.parse("m") }
        #expect(throws: GRPCTimeout.Problem.notDigits(" 1S")) { try GRPCTimeout.parse(" 1S") }
        #expect(throws: GRPCTimeout.Problem.notDigits("+1S")) { try GRPCTimeout.parse("+1S") }
        #expect(throws: GRPCTimeout.Problem.notDigits("?S")) { try GRPCTimeout.parse("١S") }
    }

    @Test("the time left is sent in the finest unit that fits 8 digits, rounded up, never zero")
    func encode() throws {
        #expect(GRPCTimeout.encode(.nanoseconds(0)) == "1n")
        #expect(GRPCTimeout.encode(.nanoseconds(-5)) == "1n")
        #expect(GRPCTimeout.encode(.nanoseconds(99_999_999)) == "99999999n")
        #expect(GRPCTimeout.encode(.milliseconds(300)) == "300000u")
        #expect(GRPCTimeout.encode(.nanoseconds(100_000_001)) == "100001u")
        #expect(GRPCTimeout.encode(.seconds(120)) == "120000m")
        #expect(GRPCTimeout.encode(.hours(1000)) == "3600000S")
        for amount in [TimeAmount.milliseconds(1), .seconds(59), .minutes(7), .hours(30)] {
            #expect(try GRPCTimeout.parse(GRPCTimeout.encode(amount)) >= amount)
        }
    }
}
