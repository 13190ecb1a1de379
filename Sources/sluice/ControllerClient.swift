import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceConfig
import SluiceController
import SluiceCore
import SluiceServe

/// Where the controller's API is and how to authenticate, for the client commands.
struct ControllerClientOptions: ParsableArguments {
    @Option(name: .long, help: "The config file naming the controller's listener and token.", completion: .file(extensions: ["yaml", "yml"]))
    var config: String = "sluice.yaml"

    @Option(name: .long, help: "The controller's API (http://HOST:PORT); overrides the config.")
    var controller: String?

    @Option(name: .long, help: "An environment variable holding the API token.")
    var tokenEnv: String?

    /// Sends a request to the controller and returns its status and JSON body.
    func call(_ method: HTTPMethod, _ path: String) async throws -> (status: Int, body: JSONValue) {
        let (status, text) = try await send(method, path)
        let body = (try? JSONParser.parse(text)) ?? .object([("error", .string(text))])
        return (status, body)
    }

    /// Sends a request to the controller with the token (whose name the controller records as
    /// the actor of a command) and returns its status and body.
    func send(_ method: HTTPMethod, _ path: String) async throws -> (status: Int, body: String) {
        var address: UpstreamAddress?
        var token: String?
        if let tokenEnv {
            // Never the config's token instead: that would act under another name and role.
            guard let value = ProcessInfo.processInfo.environment[tokenEnv], !value.isEmpty else {
                throw ValidationError("--token-env: the environment variable \(tokenEnv) is not set or empty")
            }
            token = value
        }
        if let controller {
            guard let parsed = UpstreamAddress(url: controller) else {
                throw ValidationError("--controller: expected http://HOST:PORT, found '\(controller)'")
            }
            address = parsed
        }
        if address == nil || token == nil {
            let config = try loadControllerConfig(self.config)
            if address == nil, case .tcp(let host, let port) = config.listen {
                address = UpstreamAddress(host: host == "0.0.0.0" ? "127.0.0.1" : host, port: port)
            }
            if token == nil {
                token = try? ControllerSecrets.apiToken(config)
            }
        }
        guard let address else { throw ValidationError("no controller address: give --controller") }
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(token ?? "")")
        let group = MultiThreadedEventLoopGroup.singleton
        let client = UpstreamClient(group: group)
        let response: UpstreamResponse
        do {
            response = try await client.send(UpstreamRequest(method: method, uri: path, headers: headers, body: nil), to: address, on: group.next(), timeout: .seconds(30)).get()
        } catch {
            FileHandle.standardError.write(Data("sluice: the controller at \(address) did not answer: \(error)\n".utf8))
            throw ExitCode(1)
        }
        return (Int(response.status.code), String(buffer: response.body))
    }
}

/// Prints an API error and exits 1.
func failWithAPIError(_ body: JSONValue, status: Int) throws -> Never {
    let message: String
    if case .string(let text)? = body["error"] { message = text } else { message = body.serialized() }
    FileHandle.standardError.write(Data("sluice: \(message) (\(status))\n".utf8))
    throw ExitCode(1)
}
