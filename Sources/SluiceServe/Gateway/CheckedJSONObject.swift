import NIOCore
import NIOHTTP1
import SluiceCore

/// An inference request's body that the gateway checked is a JSON object. Only
/// ``check(_:)`` makes one, so the features read from it later skip a second check of the
/// whole document (the byte reader's navigation is only sound on a checked document).
struct CheckedJSONObject: Sendable {
    let buffer: ByteBuffer
    /// False only when ``JSONParser/validate(_:)`` refused a body the parser accepts as an
    /// object (they agree on every input tested; the parser decides, as before): nothing is
    /// read from such a body, as the byte reader read nothing from it.
    private let navigable: Bool

    private init(_ buffer: ByteBuffer, navigable: Bool) {
        self.buffer = buffer
        self.navigable = navigable
    }

    /// The body as checked, or the 400 the caller gets: a body that is not JSON (the parser's
    /// position and wording) or not an object. Only a refused body is parsed; no tree is built
    /// for one that passes.
    static func check(_ body: ByteBuffer) -> Result<CheckedJSONObject, Refusal> {
        if let kind = JSONParser.validate(body) {
            guard kind == .object else { return .failure(.notAnObject) }
            return .success(CheckedJSONObject(body, navigable: true))
        }
        do {
            guard case .object = try JSONParser.parse(body) else { return .failure(.notAnObject) }
            return .success(CheckedJSONObject(body, navigable: false))
        } catch {
            return .failure(.notJSON("\(error)"))
        }
    }

    /// Why a body was refused.
    enum Refusal: Error, Equatable {
        case notJSON(String)
        case notAnObject

        /// The 400 answer.
        var response: ServerResponse {
            switch self {
            case .notJSON(let error): .error(.badRequest, "request body is not JSON: \(error)")
            case .notAnObject: .error(.badRequest, "request body must be a JSON object with \"inputs\"")
            }
        }
    }

    /// The features of the tensors in `member`, as ``InferenceTensors/features(inJSON:member:limit:)``
    /// reads them, without checking the document again.
    func features(member: String, limit: Int = 64) -> [(name: String, values: [FeatureValue])] {
        guard navigable else { return [] }
        return buffer.withReadableUInt8s { InferenceTensors.features(inCheckedObject: $0, member: member, limit: limit) }
    }
}
