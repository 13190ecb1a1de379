import NIOCore

/// gRPC's length-prefixed messages (a compressed flag byte, a 4-byte big-endian length, the
/// protobuf bytes) for the unary calls the gateway serves: exactly one message per body.
enum GRPCMessageFraming {
    /// Why a request body is not one message the gateway can read.
    enum Problem: Error, Equatable, CustomStringConvertible {
        /// Fewer than 5 bytes, or fewer than the prefix announces.
        case truncated(announced: Int, present: Int)
        /// More than one message (or trailing bytes) on a unary call.
        case trailingBytes(Int)
        /// A compressed message: the gateway must read the model name, and advertises no compression.
        case compressed

        var description: String {
            switch self {
            case .truncated(let announced, let present):
                "the gRPC message is truncated: its prefix announces \(announced) bytes, \(present) arrived"
            case .trailingBytes(let count): "a unary call carries one gRPC message; \(count) bytes follow it"
            case .compressed: "compressed gRPC messages are not accepted by the gateway (grpc-accept-encoding: identity)"
            }
        }
    }

    /// The one message of a unary request body.
    static func singleMessage(in body: ByteBuffer) throws(Problem) -> ByteBuffer {
        guard body.readableBytes >= 5, let flag = body.getInteger(at: body.readerIndex, as: UInt8.self),
              let length = body.getInteger(at: body.readerIndex + 1, as: UInt32.self)
        else { throw .truncated(announced: 0, present: body.readableBytes) }
        guard flag == 0 else { throw .compressed }
        let present = body.readableBytes - 5
        guard Int(length) <= present else { throw .truncated(announced: Int(length), present: present) }
        guard Int(length) == present else { throw .trailingBytes(present - Int(length)) }
        return body.getSlice(at: body.readerIndex + 5, length: Int(length)) ?? ByteBuffer()
    }

    /// `message` with its uncompressed length prefix.
    static func frame(_ message: ByteBuffer) -> ByteBuffer {
        var framed = ByteBuffer()
        framed.reserveCapacity(5 + message.readableBytes)
        framed.writeInteger(UInt8(0))
        framed.writeInteger(UInt32(message.readableBytes))
        framed.writeImmutableBuffer(message)
        return framed
    }
}
