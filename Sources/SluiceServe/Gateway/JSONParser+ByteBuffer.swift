import NIOCore
import SluiceCore

extension JSONParser {
    /// Parses a request or response body in place, without copying it into an array.
    static func parse(_ buffer: ByteBuffer) throws(SyntaxError) -> JSONValue {
        let result = buffer.withUnsafeReadableBytes { raw -> Result<JSONValue, SyntaxError> in
            let bytes = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            do throws(SyntaxError) {
                return .success(try JSONParser.parse(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
