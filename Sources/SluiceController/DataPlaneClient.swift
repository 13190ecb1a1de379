import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceCore
import SluiceServe

/// Talks to a data plane's admin API: the controller's only way to change what runs.
///
/// Every call goes to exactly the configured admin address (TCP or unix socket), the one
/// place the admin token is ever sent.
struct DataPlaneClient: Sendable {
    let address: ServeConfig.ListenAddress
    /// Reads the admin token; it may not exist yet when both planes start together.
    let readToken: @Sendable () throws -> String
    let client: UpstreamClient
    let eventLoop: any EventLoop
    private let token = NIOLockedValueBox<String?>(nil)

    init(address: ServeConfig.ListenAddress, readToken: @escaping @Sendable () throws -> String, client: UpstreamClient, eventLoop: any EventLoop) {
        self.address = address
        self.readToken = readToken
        self.client = client
        self.eventLoop = eventLoop
    }

    /// The token, read once it exists.
    private func currentToken() throws -> String {
        if let known = token.withLockedValue({ $0 }) { return known }
        do {
            let read = try readToken()
            token.withLockedValue { $0 = read }
            return read
        } catch {
            throw Failure(description: "the data plane's admin token cannot be read yet: \(error)")
        }
    }

    /// A failed call, with what the data plane said.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func state() async throws -> JSONValue { try await call(.GET, "/v1/state") }

    func spec() async throws -> JSONValue? {
        do {
            return try await call(.GET, "/v1/spec")
        } catch let failure as Failure where failure.description.hasPrefix("404") {
            return nil
        }
    }

    func stats(windowSeconds: Int) async throws -> JSONValue { try await call(.GET, "/v1/stats?window=\(windowSeconds)") }

    /// Ended monitoring buckets that started after `after` (seconds since the epoch), with
    /// the data plane's clock and bucket length.
    func monitoring(after: Int64?) async throws -> (now: Int64, bucketSeconds: Int, buckets: [MonitoringBucket]) {
        let json = try await call(.GET, after.map { "/v1/monitoring?after=\($0)" } ?? "/v1/monitoring")
        guard case .int(let now)? = json["now"], case .int(let seconds)? = json["bucketSeconds"], seconds > 0 else {
            throw Failure(description: "the data plane's /v1/monitoring answer has no now or bucketSeconds")
        }
        var buckets: [MonitoringBucket] = []
        for (index, item) in (json["buckets"]?.items ?? []).enumerated() {
            do {
                buckets.append(try MonitoringBucket(json: item, path: "buckets[\(index)]"))
            } catch {
                throw Failure(description: "the data plane's monitoring bucket is unreadable: \(error)")
            }
        }
        return (Int64(now), seconds, buckets)
    }

    /// PUTs the whole runtime spec.
    func apply(_ spec: RuntimeSpec) async throws {
        _ = try await call(.PUT, "/v1/spec", body: spec.jsonValue.serialized())
    }

    private func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> JSONValue {
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(try currentToken())")
        headers.add(name: "content-type", value: "application/json")
        let request = UpstreamRequest(method: method, uri: path, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response: UpstreamResponse
        do {
            switch address {
            case .tcp(let host, let port):
                response = try await client.send(request, to: UpstreamAddress(host: host, port: port), on: eventLoop, timeout: .seconds(10)).get()
            case .unix(let path):
                response = try await client.send(request, toUnixSocket: path, on: eventLoop, timeout: .seconds(10)).get()
            }
        } catch {
            throw Failure(description: "the data plane at \(address) did not answer: \(error)")
        }
        let text = String(buffer: response.body)
        guard response.status == .ok else {
            throw Failure(description: "\(response.status.code) from the data plane for \(method) \(path): \(text.prefix(2000))")
        }
        do {
            return try JSONParser.parse(text)
        } catch {
            throw Failure(description: "the data plane answered \(path) with something that is not JSON: \(error)")
        }
    }
}

extension JSONValue {
    /// The members of an object as pairs (empty for anything else).
    var members: [(String, JSONValue)] {
        if case .object(let members) = self { return members }
        return []
    }

    /// The items of an array (empty for anything else).
    var items: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}
