import NIOCore
import SluiceCore

extension ByteBuffer {
    /// The readable bytes as borrowed `UInt8`s (no copy).
    func withReadableUInt8s<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeReadableBytes { raw in
            try body(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
    }
}

extension JSONParser {
    /// Parses a request or response body in place, without copying it into an array.
    static func parse(_ buffer: ByteBuffer) throws(SyntaxError) -> JSONValue {
        let result = buffer.withReadableUInt8s { bytes -> Result<JSONValue, SyntaxError> in
            do throws(SyntaxError) {
                return .success(try JSONParser.parse(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// ``validate(_:)`` of a body in place: its top-level kind, nil when it is not JSON.
    static func validate(_ buffer: ByteBuffer) -> Kind? {
        buffer.withReadableUInt8s { validate($0) }
    }
}

extension InferenceTensors {
    /// ``features(inJSON:member:limit:)`` of a body in place; nil when it is not JSON.
    static func features(inJSON buffer: ByteBuffer, member: String, limit: Int = 64) -> [(name: String, values: [FeatureValue])]? {
        buffer.withReadableUInt8s { features(inJSON: $0, member: member, limit: limit) }
    }

    /// ``firstFeature(inJSON:member:)`` of a body in place.
    static func firstFeature(inJSON buffer: ByteBuffer, member: String) -> FeatureValueList? {
        buffer.withReadableUInt8s { firstFeature(inJSON: $0, member: member) }
    }

    /// ``firstOutput(inJSON:)`` of a body in place.
    static func firstOutput(inJSON buffer: ByteBuffer) -> [FeatureValue]? {
        buffer.withReadableUInt8s { firstOutput(inJSON: $0) }
    }
}
