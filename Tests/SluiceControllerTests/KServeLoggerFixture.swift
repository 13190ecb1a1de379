import Foundation
import HTTPTypes
import NIOCore

/// Payload-logger events exactly as KServe's agent sends them, pinned to kserve/kserve
/// v0.15.2 (commit d623ea29e4a7312e509829f9104209cd6f820268, Apache-2.0):
/// `pkg/logger/handler.go` (`ServeHTTP`: one request event, then one response event only
/// for a 200 answer, both with the id from the caller's `Ce-Id` header or a fresh UUID,
/// and the request's `Content-Type`) and `pkg/logger/worker.go` (`sendCloudEvent`:
/// CloudEvents 1.0 in binary mode through sdk-go, extensions `inferenceservicename`,
/// `namespace`, `component`, `endpoint`, `metadata`; source from the agent's
/// `--source-uri`, default `http://localhost:<agent port>/`, `cmd/agent/main.go`).
///
/// Derived, not captured: the header lines are those sdk-go's binary encoding writes, in
/// the order Go's `net/http` writes them (Host, User-Agent, Content-Length, then the rest
/// sorted, Accept-Encoding last), with header names as Go canonicalises them (`Ce-Id`).
/// The bodies are an Open Inference Protocol (V2) request and answer of a fraud model.
enum KServeLoggerFixture {
    /// The id both events share (a caller-chosen `Ce-Id`, as feedback needs).
    static let id = "5c1b6f3e-8a2d-4c1e-9a57-3e0f2b7d9c41"

    static let requestBody = """
        {"id":"r-1","inputs":[{"name":"amount","shape":[2],"datatype":"FP32","data":[12.5,80.0]},\
        {"name":"country","shape":[2],"datatype":"BYTES","data":["DE","FR"]},\
        {"name":"secret_note","shape":[2],"datatype":"BYTES","data":["a","b"]}]}
        """

    static let responseBody = """
        {"model_name":"fraud","model_version":"v1","id":"r-1","outputs":[{"name":"label","shape":[2],"datatype":"INT64","data":[0,1]}]}
        """

    /// The request event as it goes over the wire to `/v1/collector/kserve/fraud/v1`.
    static let requestEvent = wire(type: "org.kubeflow.serving.inference.request", time: "2027-01-15T08:00:00.123456789Z", body: requestBody)

    /// The response event of the same call.
    static let responseEvent = wire(type: "org.kubeflow.serving.inference.response", time: "2027-01-15T08:00:00.131002417Z", body: responseBody)

    private static func wire(type: String, time: String, body: String) -> String {
        [
            "POST /v1/collector/kserve/fraud/v1 HTTP/1.1",
            "Host: sluice-controller.sluice.svc:8080",
            "User-Agent: Go-http-client/1.1",
            "Content-Length: \(body.utf8.count)",
            "Ce-Component: predictor",
            "Ce-Endpoint: default",
            "Ce-Id: \(id)",
            "Ce-Inferenceservicename: fraud",
            "Ce-Metadata: {}",
            "Ce-Namespace: models",
            "Ce-Source: http://localhost:9081/",
            "Ce-Specversion: 1.0",
            "Ce-Time: \(time)",
            "Ce-Type: \(type)",
            "Content-Type: application/json",
            "Accept-Encoding: gzip",
            "",
            body,
        ].joined(separator: "\r\n")
    }

    /// One parsed wire message: what a test client sends.
    struct Message {
        var path: String
        var headers: HTTPFields
        var body: ByteBuffer
    }

    /// Splits a wire message into path, headers (hop-by-hop ones left to the client) and body.
    static func message(_ wire: String, id: String? = nil, path: String? = nil) -> Message {
        let parts = wire.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        var headers = HTTPFields()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            var value = String(line[line.index(after: colon)...].drop { $0 == " " })
            if ["host", "content-length", "accept-encoding", "user-agent"].contains(name.lowercased()) { continue }
            if name == "Ce-Id", let id { value = id }
            headers.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        let target = lines[0].split(separator: " ")[1]
        return Message(path: path ?? String(target), headers: headers, body: ByteBuffer(string: parts[1]))
    }
}
