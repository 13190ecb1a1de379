import NIOCore
import NIOHTTP1
import SluiceCore

extension KubernetesClient {
    /// At most this many characters of a server message go into an error.
    static let quotedCharacters = 300

    /// The error a non-2xx answer means: its kind from the status code, its detail
    /// "METHOD path: message" from the answer's `Status` document (or its status line).
    static func error(status: HTTPResponseStatus, body: ByteBuffer, method: HTTPMethod, path: String) -> KubernetesError {
        let message = statusMessage(Array(body.readableBytesView)) ?? "\(status.code) \(status.reasonPhrase)"
        return KubernetesError(kind(ofStatus: Int(status.code)), "\(method) \(path): \(quoted(message))")
    }

    /// The kind of failure an HTTP status (or a `Status.code`) means.
    static func kind(ofStatus code: Int) -> KubernetesError.Kind {
        switch code {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 410: return .gone
        case 429, 500..<600: return .unavailable(status: code)
        case 400..<500: return .invalid(status: code)
        default: return .unreadable
        }
    }

    /// `Status.message` (with `reason` when it adds to it) of a `Status` document; nil when
    /// the body is not one.
    static func statusMessage(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, let document = try? JSONParser.parse(bytes) else { return nil }
        return statusMessage(document)
    }

    /// `Status.message` of a parsed `Status` document, or its `reason`.
    static func statusMessage(_ document: JSONValue) -> String? {
        let message = document["message"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let reason = document["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        switch (message, reason) {
        case (let message?, let reason?): return "\(message) (\(reason))"
        case (let message?, nil): return message
        case (nil, let reason?): return reason
        case (nil, nil): return nil
        }
    }

    /// `text` with control characters as spaces, cut to ``quotedCharacters``.
    static func quoted(_ text: String) -> String {
        var result = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            guard count < quotedCharacters else {
                result += "…"
                break
            }
            let isControl = scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
            result.unicodeScalars.append(isControl ? " " : scalar)
        }
        return result
    }

    /// The 2xx body as one object, or `.unreadable`.
    static func object(_ body: ByteBuffer, method: HTTPMethod, path: String) throws(KubernetesError) -> KubernetesObject {
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(body.readableBytesView))
        } catch {
            throw KubernetesError(.unreadable, "\(method) \(path): the answer is not JSON (\(error))")
        }
        guard case .object = document else { throw KubernetesError(.unreadable, "\(method) \(path): the answer is not a JSON object") }
        return KubernetesObject(document)
    }

    /// `document` with `apiVersion` and `kind` of `kind` when it lacks them (list items do).
    static func typed(_ document: JSONValue, as kind: ResourceKind) -> JSONValue {
        guard case .object(var members) = document else { return document }
        if document["kind"] == nil { members.insert(("kind", .string(kind.kind)), at: 0) }
        if document["apiVersion"] == nil { members.insert(("apiVersion", .string(kind.apiVersion)), at: 0) }
        return .object(members)
    }
}
