import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// One connection of the fake API server: reads a request (body capped), authenticates it
/// (bearer token or a verified client certificate), records it, applies scripted faults, and
/// answers — a JSON document, or a chunked watch stream kept open until the watch ends.
final class FakeKubernetesHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let cluster: FakeKubernetesCluster
    private let token: String
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    private var watchID: Int?
    private var watchTimers: [Scheduled<Void>] = []
    private var repeatedTimers: [RepeatedTask] = []
    private var watchEnded = false

    init(cluster: FakeKubernetesCluster, token: String) {
        self.cluster = cluster
        self.token = token
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            watchEnded = false
            body = []
            tooLarge = false
        case .body(let chunk):
            if body.count + chunk.readableBytes > cluster.options.bodyLimit {
                tooLarge = true
                body = []
            } else if !tooLarge {
                body += chunk.readableBytesView
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let certificate = (try? context.pipeline.syncOperations.nioSSL_peerCertificate()) ?? nil
            let request = FakeKubernetesRequest(head: head, body: body, hasClientCertificate: certificate != nil)
            body = []
            respond(to: request, keepAlive: head.isKeepAlive, context: context)
        }
    }

    private func respond(to request: FakeKubernetesRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        cluster.record(request)
        let outcome: FakeKubernetesOutcome
        if !request.hasClientCertificate, request.headers.first(name: "Authorization") != "Bearer \(token)" {
            outcome = .failure(.unauthorized)
        } else if tooLarge {
            outcome = .failure(.tooLarge(limit: cluster.options.bodyLimit))
        } else if let fault = cluster.scriptedFault(for: request) {
            guard let failure = fault else { return }  // silenced: never answered
            outcome = .failure(failure)
        } else {
            outcome = FakeKubernetesRouter(cluster: cluster).route(request)
        }
        switch outcome {
        case .answer(let code, let body, let headers):
            write(code: code, body: body, headers: headers, keepAlive: keepAlive && !tooLarge, context: context)
        case .watch(let watch):
            startWatch(watch, context: context)
        }
    }

    private func write(code: Int, body: JSONValue, headers extra: [(String, String)], keepAlive: Bool, context: ChannelHandlerContext) {
        let text = body.serialized()
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")] + extra)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: code), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { bound.value.close(promise: nil) }
        }
    }

    /// Opens a chunked answer and hands its sink to the store; events, bookmarks and the end
    /// are written on this connection's event loop.
    private func startWatch(_ watch: FakeKubernetesWatchRequest, context: ChannelHandlerContext) {
        // The head goes out in this call, once the watch is registered (a client that has the head
        // may count on the watch: a bookmark sent then must reach it); events reach the sink
        // through `execute`, so after the head.
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
        let head = wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let sink = FakeKubernetesWatchSink(
            send: { line in
                loop.execute {
                    let (handler, context) = bound.value
                    guard !handler.watchEnded else { return }
                    context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: line)))), promise: nil)
                }
            },
            finish: {
                loop.execute { bound.value.handler.endWatch(context: bound.value.context) }
            })
        do {
            let registered = try cluster.startWatch(
                watch.kind, namespace: watch.namespace, selector: watch.selector, resourceVersion: watch.resourceVersion,
                bookmarks: watch.bookmarks, sink: sink)
            context.writeAndFlush(head, promise: nil)
            guard let id = registered else { return }
            watchID = id
        } catch {
            context.writeAndFlush(head, promise: nil)
            sink.send(FakeKubernetesWatcher.line(type: .error, object: error.status))
            sink.finish()
            return
        }
        let cluster = self.cluster
        if watch.bookmarks, let interval = cluster.options.bookmarkInterval {
            let amount = interval.fakeTimeAmount
            let id = watchID
            repeatedTimers.append(loop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { _ in cluster.sendBookmarks(to: id) })
        }
        if let seconds = watch.timeoutSeconds, seconds > 0 {
            watchTimers.append(loop.scheduleTask(in: .seconds(Int64(seconds))) { bound.value.handler.endWatch(context: bound.value.context) })
        }
    }

    /// Ends the watch answer (the client resumes with a new watch); the connection stays open
    /// for its next request, as kube-apiserver keeps it.
    private func endWatch(context: ChannelHandlerContext) {
        guard !watchEnded else { return }
        watchEnded = true
        stopTimers()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func stopTimers() {
        if let id = watchID { cluster.stopWatch(id) }
        watchID = nil
        for timer in watchTimers { timer.cancel() }
        for timer in repeatedTimers { timer.cancel() }
        watchTimers = []
        repeatedTimers = []
    }

    func channelInactive(context: ChannelHandlerContext) {
        watchEnded = true
        stopTimers()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
