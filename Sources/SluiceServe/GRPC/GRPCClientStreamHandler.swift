import NIOCore
import NIOHPACK
import NIOHTTP2

/// One call's stream to a model server: sends the request's headers and message, collects
/// the response headers, messages (bounded) and trailers, and completes the promise exactly
/// once: with the answer, or with an ``UpstreamFailure`` (unanswered when not even a header
/// came back, so the gateway may try another replica). At the call's deadline it fails with
/// ``UpstreamFailure/timeout`` and closes the stream, which resets it (RST_STREAM CANCEL); when
/// the caller cancels first, the same with ``GRPCCallCancelled``.
final class GRPCClientStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let request: GRPCUpstreamRequest
    private let authority: String
    private let promise: EventLoopPromise<GRPCUpstreamResponse>
    private let deadline: NIODeadline
    private let maximumResponse: Int
    private var headers: HPACKHeaders?
    private var messages = ByteBuffer()
    private var completed = false
    private var deadlineTask: Scheduled<Void>?
    private let cancellation: GRPCCallCancellation?

    init(
        request: GRPCUpstreamRequest, authority: String, promise: EventLoopPromise<GRPCUpstreamResponse>, deadline: NIODeadline, maximumResponse: Int,
        cancellation: GRPCCallCancellation? = nil
    ) {
        self.cancellation = cancellation
        self.request = request
        self.authority = authority
        self.promise = promise
        self.deadline = deadline
        self.maximumResponse = maximumResponse
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadlineTask = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.finish(.failure(UpstreamFailure.timeout), context: context)
        }
        let loop = context.eventLoop
        cancellation?.onCancel {
            // The caller's stream is on this loop too; hop anyway, the callback may run elsewhere.
            loop.execute {
                let (handler, context) = loopBound.value
                handler.finish(.failure(GRPCCallCancelled()), context: context)
            }
        }
    }

    /// A stream torn down before its answer (the connection closed while it opened) still
    /// completes the call.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(failure("the stream closed")), context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        var head: HPACKHeaders = [
            ":method": "POST", ":scheme": "http", ":path": request.path, ":authority": authority,
            "content-type": "application/grpc", "te": "trailers",
        ]
        head.add(contentsOf: request.metadata)
        // The time left, so that the model server can give up when the gateway does.
        head.add(name: "grpc-timeout", value: GRPCTimeout.encode(deadline - .now()))
        context.write(wrapOutboundOut(.headers(.init(headers: head))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(request.body), endStream: true))), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !completed else { return }
        switch unwrapInboundIn(data) {
        case .headers(let frame):
            if headers == nil, !frame.endStream {
                headers = frame.headers
            } else {
                // Trailers, or a trailers-only answer (no headers before them).
                finish(.success(GRPCUpstreamResponse(headers: headers ?? [:], messages: messages, trailers: frame.headers)), context: context)
            }
        case .data(let frame):
            guard case .byteBuffer(var bytes) = frame.data else { return }
            guard messages.readableBytes + bytes.readableBytes <= maximumResponse else {
                finish(.failure(UpstreamFailure.tooLarge), context: context)
                return
            }
            messages.writeBuffer(&bytes)
            if frame.endStream {
                // No trailers: the status is unknown, as a gRPC client reads it.
                finish(.success(GRPCUpstreamResponse(headers: headers ?? [:], messages: messages, trailers: [:])), context: context)
            }
        case .rstStream(let code):
            finish(.failure(failure("the model server reset the stream (\(code))")), context: context)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(failure("the stream closed")), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(failure("\(error)")), context: context)
    }

    /// Unanswered when nothing came back yet, broken otherwise.
    private func failure(_ reason: String) -> UpstreamFailure {
        headers == nil ? .unanswered(reason) : .broken(reason)
    }

    private func finish(_ result: Result<GRPCUpstreamResponse, any Error>, context: ChannelHandlerContext) {
        guard !completed else { return }
        completed = true
        deadlineTask?.cancel()
        promise.completeWith(result)
        if case .failure = result { context.close(promise: nil) }
    }
}
