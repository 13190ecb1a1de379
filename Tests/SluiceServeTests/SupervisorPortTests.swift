import Foundation
import SluiceCore
import Testing
@testable import SluiceServe

/// `serve.ports` with every port taken: the version waits with an error that says so, and
/// starts once a port is free.
@Suite("supervisor: port exhaustion", .serialized, .timeLimit(.minutes(10)))
struct SupervisorPortTests {
    /// Consecutive loopback ports bound (not listening) by the test, so nothing else can bind them.
    /// Close-on-exec, so that a child another test starts meanwhile cannot keep a released port.
    final class HeldPorts {
        let range: ClosedRange<Int>
        private var descriptors: [Int: Int32] = [:]

        init(count: Int) throws {
            for _ in 0..<200 {
                // Below the kernel's ephemeral ports (32768 and up), which an outgoing
                // connection could take once a port is released.
                let low = Int.random(in: 12000...(15999 - count))
                var held: [Int: Int32] = [:]
                for port in low..<(low + count) {
                    guard let descriptor = Self.bind(port) else { break }
                    held[port] = descriptor
                }
                if held.count == count {
                    range = low...(low + count - 1)
                    descriptors = held
                    return
                }
                for descriptor in held.values { close(descriptor) }
            }
            throw POSIXError(.EADDRINUSE)
        }

        /// Lets `port` go.
        func release(_ port: Int) {
            if let descriptor = descriptors.removeValue(forKey: port) { close(descriptor) }
        }

        deinit { for descriptor in descriptors.values { close(descriptor) } }

        static func bind(_ port: Int) -> Int32? {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(descriptor)
                return nil
            }
            return descriptor
        }
    }

    @Test("with every port of serve.ports in use the version is BackOff with an error naming the range, logged once; callers get 503; a freed port is used at the next try")
    func exhausted() async throws {
        let held = try HeldPorts(count: 2)
        let range = "\(held.range.lowerBound)-\(held.range.upperBound)"
        try await DataPlaneFixture.with(ports: held.range) { plane in
            try await plane.apply(DataPlaneFixture.spec(["v1": 100]))
            await plane.step()
            let waiting = try #require(await plane.version("v1"))
            let message = "no free port in \(range) (serve.ports): every port is in use; trying again every \(Supervisor.portRetry)"
            #expect(waiting.state == .backoff)
            #expect(waiting.pid == nil)
            #expect(waiting.message == message)
            #expect(waiting.restarts == 0, "nothing was started, so nothing failed")
            let answer = try await plane.infer()
            #expect(answer.status == 503)
            #expect(answer.string("error") == "model 'm' has no ready version")

            // The next try, still without a port: the same state, and no second log line.
            plane.advance(Supervisor.portRetry)
            await plane.step()
            #expect(await plane.version("v1")?.message == message)
            #expect(plane.logged.filter { $0.contains("no free port") }.count == 1, "\(plane.logged)")

            held.release(held.range.upperBound)
            try await Self.waitUntilFree(held.range.upperBound)
            plane.advance(Supervisor.portRetry - .milliseconds(1))
            await plane.step()
            #expect(await plane.version("v1")?.pid == nil, "tried again before its time")
            plane.advance(.milliseconds(1))
            await plane.step()
            let started = await plane.version("v1")
            #expect(started?.port == held.range.upperBound, "\(String(describing: started)); \(plane.logged.suffix(4))")
            try await plane.stepUntil("v1 ready") { await plane.version("v1")?.state == .ready }
            #expect(await plane.version("v1")?.message == nil)
            #expect(try await plane.infer().string("model_version") == "v1")
        }
    }

    /// Waits until `port` can be bound: a child that another test forked in the moment of the
    /// release holds a copy of the socket until it execs (close-on-exec).
    static func waitUntilFree(_ port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let descriptor = HeldPorts.bind(port) {
                close(descriptor)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("port \(port) stayed bound after it was released")
    }
}
