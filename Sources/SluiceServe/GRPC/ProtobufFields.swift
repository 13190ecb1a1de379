import NIOCore

/// The few protobuf fields the gateway reads and writes, by hand: the model name and version
/// of a request (fields 1 and 2 of `ModelInferRequest`, `ModelReadyRequest` and
/// `ModelMetadataRequest`) and the one-boolean answers it gives itself. Everything else of a
/// message is skipped by wire type and never decoded, so a full protobuf runtime is not needed.
/// Every length is checked against the bytes there are: malformed input is a ``Problem``,
/// never a crash or a read past the end.
enum ProtobufFields {
    /// Why a message could not be read.
    enum Problem: Error, Equatable, CustomStringConvertible {
        /// A field or length runs past the end of the message.
        case truncated
        /// A varint longer than 10 bytes.
        case overlongVarint
        /// Wire types 3 and 4 (groups) and 6, 7 do not occur in these messages.
        case unsupportedWireType(Int)
        /// Field number 0 is not valid protobuf.
        case fieldZero
        /// A string field that is not UTF-8.
        case notUTF8(field: Int)

        var description: String {
            switch self {
            case .truncated: "the protobuf message is truncated"
            case .overlongVarint: "the protobuf message has a varint longer than 10 bytes"
            case .unsupportedWireType(let type): "the protobuf message has a field of wire type \(type), which these messages do not use"
            case .fieldZero: "the protobuf message has a field numbered 0"
            case .notUTF8(let field): "string field \(field) of the protobuf message is not UTF-8"
            }
        }
    }

    /// The string fields numbered in `wanted` at the top level of `message` (the last
    /// occurrence wins, as protobuf says for a repeated scalar field).
    static func strings(in message: ByteBuffer, fields wanted: Set<Int>) throws(Problem) -> [Int: String] {
        var found: [Int: String] = [:]
        var reader = message
        while reader.readableBytes > 0 {
            let key = try readVarint(&reader)
            let field = Int(truncatingIfNeeded: key >> 3)
            guard field > 0 else { throw .fieldZero }
            switch Int(key & 7) {
            case 0: _ = try readVarint(&reader)
            case 1: try skip(&reader, 8)
            case 5: try skip(&reader, 4)
            case 2:
                let length = try readVarint(&reader)
                guard length <= UInt64(reader.readableBytes) else { throw .truncated }
                if wanted.contains(field) {
                    guard let bytes = reader.readSlice(length: Int(length)) else { throw .truncated }
                    guard let text = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes), text.utf8.elementsEqual(bytes.readableBytesView) else {
                        throw .notUTF8(field: field)
                    }
                    found[field] = text
                } else {
                    try skip(&reader, Int(length))
                }
            case let type: throw .unsupportedWireType(type)
            }
        }
        return found
    }

    /// A message holding one boolean field numbered 1 (`ServerLiveResponse`,
    /// `ServerReadyResponse`, `ModelReadyResponse`); false is the empty message.
    static func booleanMessage(_ value: Bool) -> ByteBuffer {
        value ? ByteBuffer(bytes: [0x08, 0x01]) : ByteBuffer()
    }

    private static func readVarint(_ reader: inout ByteBuffer) throws(Problem) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<10 {
            guard let byte = reader.readInteger(as: UInt8.self) else { throw .truncated }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        throw .overlongVarint
    }

    private static func skip(_ reader: inout ByteBuffer, _ count: Int) throws(Problem) {
        guard count <= reader.readableBytes else { throw .truncated }
        reader.moveReaderIndex(forwardBy: count)
    }
}
