import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension PrometheusClient {
    /// `POST /api/v1/query` with a form body: `query`, `time` when given, and `timeout` so
    /// that the server stops evaluating when the client stops waiting.
    func makeRequest(_ query: String, at time: Double?, token: String?) -> HTTPClientRequest {
        var fields = [("query", query)]
        if let time, time.isFinite { fields.append(("time", Self.decimal(time))) }
        fields.append(("timeout", "\(max(1, Self.nanoseconds(timeout) / 1_000_000))ms"))
        let form = fields.map { "\(Self.formEncoded($0.0))=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: form))
        request.tlsConfiguration = tlsConfiguration
        return request
    }

    /// `value` for an `application/x-www-form-urlencoded` body: every byte but the unreserved
    /// ones (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so `+`, `&` and `=` in a query survive.
    static func formEncoded(_ value: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return encoded
    }

    /// A Unix time in seconds with millisecond precision, as Prometheus reads it.
    static func decimal(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}
