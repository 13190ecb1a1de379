import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceCore
import SluiceServe

/// The local `sluice serve` as a backend, reached through its admin API.
///
/// Every call goes to exactly the configured admin address (TCP or unix socket), the one
/// place the admin token is ever sent. Answers are decoded into the wire types the data
/// plane encodes, so both sides share one definition.
public struct LocalDataPlane: DataPlaneBackend {
    let address: ServeConfig.ListenAddress
    /// Reads the admin token; it may not exist yet when both planes start together.
    let readToken: @Sendable () throws -> String
    let client: UpstreamClient
    let eventLoop: any EventLoop
    private let token = NIOLockedValueBox<String?>(nil)

    /// - Parameters:
    ///   - address: the data plane's admin listener.
    ///   - readToken: reads the admin token; called until it succeeds, then remembered.
    public init(address: ServeConfig.ListenAddress, readToken: @escaping @Sendable () throws -> String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.address = address
        self.readToken = readToken
        self.client = UpstreamClient(group: group)
        self.eventLoop = group.next()
    }

    public func apply(_ spec: RuntimeSpec) async throws(DataPlaneError) -> ObservedState {
        try await call(.PUT, "/v1/spec", body: spec.jsonValue.serialized(), as: ObservedState.self)
    }

    public func currentSpec() async throws(DataPlaneError) -> RuntimeSpec? {
        do {
            return try await call(.GET, "/v1/spec", as: RuntimeSpec.self)
        } catch let error where error.kind == .refused(status: 404) {
            return nil
        }
    }

    public func observe() async throws(DataPlaneError) -> ObservedState {
        try await call(.GET, "/v1/state", as: ObservedState.self)
    }

    public func stats(windowSeconds: Int) async throws(DataPlaneError) -> StatsSnapshot {
        try await call(.GET, "/v1/stats?window=\(windowSeconds)", as: StatsSnapshot.self)
    }

    public func monitoring(after: Int64?) async throws(DataPlaneError) -> MonitoringBatch {
        try await call(.GET, after.map { "/v1/monitoring?after=\($0)" } ?? "/v1/monitoring", as: MonitoringBatch.self)
    }

    /// The token, read once it exists.
    private func currentToken() throws(DataPlaneError) -> String {
        if let known = token.withLockedValue({ $0 }) { return known }
        do {
            let read = try readToken()
            token.withLockedValue { $0 = read }
            return read
        } catch {
            throw DataPlaneError(.credentialsUnavailable, "the data plane's admin token cannot be read yet: \(error)")
        }
    }

    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: String? = nil, as answer: Answer.Type
    ) async throws(DataPlaneError) -> Answer {
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
            throw DataPlaneError(.unreachable, "the data plane at \(address) did not answer: \(error)")
        }
        guard response.status == .ok else {
            let text = String(buffer: response.body)
            throw DataPlaneError(
                .refused(status: Int(response.status.code)),
                "\(response.status.code) from the data plane for \(method) \(path): \(text.prefix(2000))")
        }
        do {
            return try WireJSON.decode(answer, from: response.body.readableBytesView)
        } catch {
            throw DataPlaneError(.unreadable, "the data plane's answer to \(method) \(path) is not what was expected: \(error)")
        }
    }
}
