import Foundation
import SluiceCore

/// The one JSON coding of the Codable wire types (`ObservedState`, `StatsSnapshot`,
/// `MonitoringBatch`, `RuntimeSpec`), used by the data plane's admin API and by its client.
public enum WireJSON {
    /// The document as text, keys sorted: pretty-printed in the project's one JSON style
    /// for people reading `curl` output, or compact for bulk answers.
    public static func text(_ value: some Encodable, pretty: Bool = true) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every wire type encodes finite numbers only; a failure here is a programming error
        // reported as a JSON error rather than a crash.
        guard let data = try? encoder.encode(value) else { return #"{"error":"the answer could not be encoded"}"# }
        // Large documents (the state of a thousand models) stay compact: re-reading them to
        // indent doubles the data plane's work on every pass, and no person reads them whole.
        guard pretty, data.count <= prettyLimit, let json = try? JSONParser.parse(Array(data)) else {
            return String(decoding: data, as: UTF8.self)
        }
        return json.serialized(indent: 2)
    }

    /// Documents larger than this are sent compact even when `pretty` is asked.
    static let prettyLimit = 64 << 10

    /// Decodes a wire document; the error names the field that did not fit.
    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: some Collection<UInt8>) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw WireDecodingError(path: path(context.codingPath + [key]), problem: "missing")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw WireDecodingError(path: path(context.codingPath), problem: "expected \(expected)")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw WireDecodingError(path: path(context.codingPath), problem: "expected \(expected), found null")
        } catch let DecodingError.dataCorrupted(context) {
            throw WireDecodingError(path: path(context.codingPath), problem: context.debugDescription)
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

/// A wire document that does not have the expected shape.
public struct WireDecodingError: Error, Sendable, CustomStringConvertible {
    /// The offending field (`models[0].versions[1].state`), empty for the document.
    public var path: String
    public var problem: String
    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}
