import NIOCore
import NIOHPACK
import NIOHTTP2

/// One unary call as the gRPC listener received it.
struct GRPCCall: Sendable {
    /// `/package.Service/Method`.
    var path: String
    /// The request headers (metadata and pseudo-headers).
    var headers: HPACKHeaders
    /// The length-prefixed request message(s), at most the listener's body limit.
    var body: ByteBuffer
    var eventLoop: any EventLoop
    /// Cancelled when the caller resets the stream or its connection closes before the answer.
    var cancellation = GRPCCallCancellation()
}

/// The answer to one call: response headers (empty for a trailers-only answer), the
/// length-prefixed messages and the trailers.
struct GRPCReply: Sendable {
    var headers: HPACKHeaders
    var messages: ByteBuffer
    var trailers: HPACKHeaders

    /// A trailers-only answer with `code` and a message (percent-encoded as gRPC requires).
    static func status(_ code: GRPCStatusCode, _ message: String, metadata: HPACKHeaders = [:]) -> GRPCReply {
        var trailers = metadata
        trailers.add(name: "grpc-status", value: String(code.rawValue))
        trailers.add(name: "grpc-message", value: percentEncoded(message))
        return GRPCReply(headers: [:], messages: ByteBuffer(), trailers: trailers)
    }

    /// A successful answer holding one message.
    static func message(_ message: ByteBuffer, metadata: HPACKHeaders = [:]) -> GRPCReply {
        GRPCReply(headers: metadata, messages: GRPCMessageFraming.frame(message), trailers: ["grpc-status": "0"])
    }

    /// `grpc-message` is percent-encoded: bytes outside printable ASCII and `%` itself.
    static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8.prefix(4096) {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}

/// Answers calls: the gateway's routing, behind the listener.
protocol GRPCResponder: Sendable {
    func respond(to call: GRPCCall) -> EventLoopFuture<GRPCReply>
}

/// One stream of the gRPC listener: collects a call's headers and body (bounded by
/// `maximumBody`, and by the listener's ``BodyBudget`` shared by all its streams; a larger
/// body is answered RESOURCE_EXHAUSTED at once and the stream reset, so it is never
/// buffered), hands the call to the responder and writes its answer.
/// A stream that is not a gRPC call (another method, another content type) is answered
/// with the gRPC status saying so; nothing a caller sends ends in a crash.
final class GRPCServerStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let responder: any GRPCResponder
    private let maximumBody: Int
    private let budget: BodyBudget
    /// Body bytes this stream holds from the budget, given back once the call is answered.
    private var reserved = 0
    private var headers: HPACKHeaders?
    private var body = ByteBuffer()
    /// Set once the call was handed on or refused: later frames are dropped.
    private var dispatched = false
    /// Set once the answer is being written: a stream closing after that is not a cancel.
    private var answered = false
    private let cancellation = GRPCCallCancellation()

    init(responder: any GRPCResponder, maximumBody: Int, budget: BodyBudget) {
        self.responder = responder
        self.maximumBody = maximumBody
        self.budget = budget
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        giveBack()
    }

    private func giveBack() {
        budget.release(reserved)
        reserved = 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        if case .rstStream = payload {
            callerLeft()
            return
        }
        guard !dispatched else { return }
        switch payload {
        case .headers(let frame):
            if headers == nil {
                headers = frame.headers
                if let refusal = Self.screen(frame.headers) {
                    answer(refusal, context: context)
                    return
                }
            }
            // Request trailers (or a call with no body) end the call.
            if frame.endStream { dispatch(context: context) }
        case .data(let frame):
            guard headers != nil, case .byteBuffer(var bytes) = frame.data else { return }
            guard body.readableBytes + bytes.readableBytes <= maximumBody else {
                answer(.status(.resourceExhausted, "the request is larger than the gateway's limit of \(maximumBody) bytes"), context: context)
                return
            }
            guard budget.reserve(bytes.readableBytes) else {
                answer(.status(.resourceExhausted, "the gateway holds as many request bodies as serve.limits.bufferedMiB allows; try again"), context: context)
                return
            }
            reserved += bytes.readableBytes
            body.writeBuffer(&bytes)
            if frame.endStream { dispatch(context: context) }
        default:
            break
        }
    }

    /// Refuses what is not a gRPC call before any body is read.
    private static func screen(_ headers: HPACKHeaders) -> GRPCReply? {
        guard headers.first(name: ":method") == "POST" else {
            return .status(.unimplemented, "gRPC calls are POST requests")
        }
        guard let type = headers.first(name: "content-type"), type.hasPrefix("application/grpc") else {
            return .status(.invalidArgument, "content-type must be application/grpc")
        }
        if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
            return .status(.unimplemented, "grpc-encoding '\(encoding)' is not accepted by the gateway (grpc-accept-encoding: identity)")
        }
        return nil
    }

    private func dispatch(context: ChannelHandlerContext) {
        guard let headers, !dispatched else { return }
        dispatched = true
        let call = GRPCCall(
            path: headers.first(name: ":path") ?? "", headers: headers, body: body, eventLoop: context.eventLoop, cancellation: cancellation)
        body = ByteBuffer()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        responder.respond(to: call).hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.giveBack()
            switch result {
            case .success(let reply): handler.write(reply, context: context, thenClose: false)
            case .failure(let error): handler.write(.status(.internal, "internal error: \(error)"), context: context, thenClose: false)
            }
        }
    }

    /// Answers before the whole request arrived, and resets the stream so that the rest is
    /// not sent.
    private func answer(_ reply: GRPCReply, context: ChannelHandlerContext) {
        dispatched = true
        body = ByteBuffer()
        giveBack()
        write(reply, context: context, thenClose: true)
    }

    /// The caller reset the stream, or it closed, before the answer: a call handed on is
    /// cancelled (its model server's stream reset).
    private func callerLeft() {
        guard dispatched, !answered else { return }
        cancellation.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        callerLeft()
        context.fireChannelInactive()
    }

    private func write(_ reply: GRPCReply, context: ChannelHandlerContext, thenClose: Bool) {
        answered = true
        var head: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]
        var trailers = reply.trailers
        if reply.headers.isEmpty && reply.messages.readableBytes == 0 {
            // Trailers-only: one HEADERS frame ending the stream.
            head.add(contentsOf: trailers)
            trailers = [:]
        } else {
            head.add(contentsOf: reply.headers)
        }
        var frames: [HTTP2Frame.FramePayload] = [.headers(.init(headers: head, endStream: trailers.isEmpty))]
        if !trailers.isEmpty {
            if reply.messages.readableBytes > 0 { frames.append(.data(.init(data: .byteBuffer(reply.messages)))) }
            frames.append(.headers(.init(headers: trailers, endStream: true)))
        }
        for frame in frames.dropLast() { context.write(wrapOutboundOut(frame), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(frames[frames.count - 1]))
        if thenClose {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
