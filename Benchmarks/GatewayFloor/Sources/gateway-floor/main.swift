// The floor of a SwiftNIO HTTP/1.1 reverse proxy (Benchmarks/README.md, hot path slice 8): the
// least any proxy must do per request, so that `gateway-cpu.sh FLOOR=…` shows which part of
// the gateway's CPU per request is NIO's and the kernel's, and which is Sluice's own.
//
// Per event loop, a keep-alive pool of connections to two upstreams; per request: read it
// (Content-Length framing only, enough for wrk's POSTs), pick an upstream 90/10 (every tenth
// request to the second), write the request's bytes through unchanged, read the answer
// (Content-Length framing) and write its bytes back. One raw-bytes handler on each side: no
// HTTPHeaders, no String, no promise per request. Not a proxy to use: it trusts both peers.
//
//   gateway-floor LISTEN_PORT UPSTREAM1_PORT UPSTREAM2_PORT     (127.0.0.1 only)
//
// NIO's knobs from the environment (defaults: NIO's own, as a plain bootstrap has them):
// FLOOR_THREADS (event loops, default the core count), FLOOR_RECV (a fixed receive buffer of
// that many bytes; 0: NIO's adaptive allocator), FLOOR_READS (maxMessagesPerRead, NIO's 4),
// FLOOR_NODELAY (1: TCP_NODELAY on both sides), FLOOR_REUSEPORT (1: one listener per event
// loop on one port with SO_REUSEPORT, the kernel spreading connections; 0: one listener whose
// accepted connections NIO spreads over the loops).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import NIOCore
import NIOPosix

/// The length of the whole message (head and Content-Length body) at the start of `buffer`,
/// or nil while it is incomplete.
func messageLength(_ buffer: ByteBuffer) -> Int? {
    buffer.withUnsafeReadableBytes { bytes -> Int? in
        let name: StaticString = "content-length:"
        let count = bytes.count
        var contentLength = 0
        var lineStart = 0
        var index = 0
        while index + 1 < count {
            guard bytes[index] == 13, bytes[index + 1] == 10 else {
                index += 1
                continue
            }
            if index == lineStart {
                let total = index + 2 + contentLength
                return total <= count ? total : nil
            }
            if index - lineStart > name.utf8CodeUnitCount {
                var matches = true
                name.withUTF8Buffer { lower in
                    for offset in 0..<lower.count where bytes[lineStart + offset] | 0x20 != lower[offset] {
                        matches = false
                        break
                    }
                }
                if matches {
                    contentLength = 0
                    for digit in bytes[(lineStart + name.utf8CodeUnitCount)..<index] where digit >= 48 && digit <= 57 {
                        contentLength = contentLength * 10 + Int(digit - 48)
                    }
                }
            }
            index += 2
            lineStart = index
        }
        return nil
    }
}

/// Appends `read` to `pending` (kept as the read itself when nothing is pending: no copy).
func accumulate(_ read: ByteBuffer, into pending: inout ByteBuffer?) {
    if pending == nil {
        pending = read
    } else {
        var read = read
        pending!.writeBuffer(&read)
    }
}

/// One kept-alive connection to an upstream: writes a request, reads one answer.
final class UpstreamSide: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var pending: ByteBuffer?
    private var completion: ((ByteBuffer?) -> Void)?
    private(set) var usable = true

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send(_ request: ByteBuffer, completion: @escaping (ByteBuffer?) -> Void) {
        self.completion = completion
        context!.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        accumulate(unwrapInboundIn(data), into: &pending)
        guard let whole = pending, let length = messageLength(whole) else { return }
        var rest = whole
        let answer = rest.readSlice(length: length)!
        pending = nil
        if rest.readableBytes > 0 || completion == nil {
            usable = false
            context.close(promise: nil)
        }
        let done = completion
        completion = nil
        done?(answer)
    }

    func channelInactive(context: ChannelHandlerContext) {
        usable = false
        let done = completion
        completion = nil
        done?(nil)
    }

    func close() { context?.close(promise: nil) }
}

/// The upstream connections of one event loop; touched only on that loop.
final class LoopPool: @unchecked Sendable {
    let loop: any EventLoop
    let upstreams: [SocketAddress]
    let options: Options
    private var idle: [[UpstreamSide]]
    private var counter = 0

    init(loop: any EventLoop, upstreams: [SocketAddress], options: Options) {
        self.loop = loop
        self.upstreams = upstreams
        self.options = options
        idle = upstreams.map { _ in [] }
    }

    /// Sends `request` to an upstream (90/10) and calls `completion` with its answer, or nil.
    func send(_ request: ByteBuffer, completion: @escaping (ByteBuffer?) -> Void) {
        counter &+= 1
        let index = counter % 10 == 0 ? 1 : 0
        while let connection = idle[index].popLast() {
            if connection.usable {
                exchange(request, on: connection, upstream: index, completion: completion)
                return
            }
        }
        let side = UpstreamSide()
        var bootstrap = ClientBootstrap(group: loop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(side) } }
        bootstrap = options.apply(to: bootstrap)
        bootstrap.connect(to: upstreams[index]).assumeIsolated().whenComplete { connected in
            switch connected {
            case .success: self.exchange(request, on: side, upstream: index, completion: completion)
            case .failure: completion(nil)
            }
        }
    }

    private func exchange(_ request: ByteBuffer, on connection: UpstreamSide, upstream: Int, completion: @escaping (ByteBuffer?) -> Void) {
        connection.send(request) { answer in
            if answer != nil, connection.usable { self.idle[upstream].append(connection) }
            completion(answer)
        }
    }
}

/// A caller's connection: one request at a time through the loop's pool.
final class ClientSide: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let pool: LoopPool
    private var pending: ByteBuffer?
    private var busy = false

    init(pool: LoopPool) { self.pool = pool }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        accumulate(unwrapInboundIn(data), into: &pending)
        forwardWhole(context: context)
    }

    private func forwardWhole(context: ChannelHandlerContext) {
        guard !busy, let whole = pending, let length = messageLength(whole) else { return }
        var rest = whole
        let request = rest.readSlice(length: length)!
        pending = rest.readableBytes > 0 ? rest : nil
        busy = true
        pool.send(request) { answer in
            self.busy = false
            guard let answer else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(self.wrapOutboundOut(answer), promise: nil)
            self.forwardWhole(context: context)
        }
    }
}

/// NIO's knobs, from the environment.
struct Options: Sendable {
    var threads = System.coreCount
    var receiveBuffer = 0
    var readsPerWakeup = 4
    var noDelay = false
    var reusePort = false

    init() {
        func number(_ name: String) -> Int? { getenv(name).flatMap { Int(String(cString: $0)) } }
        threads = number("FLOOR_THREADS") ?? threads
        receiveBuffer = number("FLOOR_RECV") ?? receiveBuffer
        readsPerWakeup = number("FLOOR_READS") ?? readsPerWakeup
        noDelay = number("FLOOR_NODELAY") == 1
        reusePort = number("FLOOR_REUSEPORT") == 1
    }

    func apply(to bootstrap: ClientBootstrap) -> ClientBootstrap {
        var bootstrap = bootstrap.channelOption(.maxMessagesPerRead, value: UInt(readsPerWakeup))
            .channelOption(.socketOption(.tcp_nodelay), value: noDelay ? 1 : 0)
        if receiveBuffer > 0 { bootstrap = bootstrap.channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: receiveBuffer)) }
        return bootstrap
    }

    func apply(to bootstrap: ServerBootstrap) -> ServerBootstrap {
        var bootstrap = bootstrap.childChannelOption(.maxMessagesPerRead, value: UInt(readsPerWakeup))
            .childChannelOption(.socketOption(.tcp_nodelay), value: noDelay ? 1 : 0)
        if receiveBuffer > 0 { bootstrap = bootstrap.childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: receiveBuffer)) }
        return bootstrap
    }
}

func serve() throws {
    let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
    guard arguments.count == 3 else {
        print("usage: gateway-floor LISTEN_PORT UPSTREAM1_PORT UPSTREAM2_PORT")
        exit(2)
    }
    let options = Options()
    let upstreams = try arguments[1...].map { try SocketAddress(ipAddress: "127.0.0.1", port: $0) }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
    var pools: [ObjectIdentifier: LoopPool] = [:]
    var loops: [any EventLoop] = []
    for loop in group.makeIterator() {
        loops.append(loop)
        pools[ObjectIdentifier(loop)] = LoopPool(loop: loop, upstreams: upstreams, options: options)
    }
    let poolOf = pools
    func listener(_ group: any EventLoopGroup) -> ServerBootstrap {
        options.apply(
            to: ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.socketOption(.init(rawValue: SO_REUSEPORT)), value: options.reusePort ? 1 : 0)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ClientSide(pool: poolOf[ObjectIdentifier(channel.eventLoop)]!))
                    }
                })
    }
    let channels = try (options.reusePort ? loops.map { $0 as any EventLoopGroup } : [group]).map {
        try listener($0).bind(host: "127.0.0.1", port: arguments[0]).wait()
    }
    // Unbuffered: the script waits for this line in a file.
    let ready = "gateway-floor: listening on 127.0.0.1:\(arguments[0]) with \(options)\n"
    _ = ready.utf8CString.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count - 1) }
    try channels[0].closeFuture.wait()
}

try serve()
