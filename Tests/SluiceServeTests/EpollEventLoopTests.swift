import Dispatch
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import SluiceServe

/// Sluice's own event loop on a real thread, a real epoll instance and real socket pairs:
/// what NIO's loops promise (order, thread, timers, cancellation, shutdown) and what they do
/// not offer (plain descriptors).
@Suite struct EpollEventLoopTests {
    @Test("work handed over from other threads runs on the loop's thread, in order")
    func executeRunsOnTheLoopInOrder() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        #expect(!loop.inEventLoop)
        let seen = NIOLockedValueBox<[Int]>([])
        let onLoop = NIOLockedValueBox(true)
        for index in 0..<1000 {
            loop.execute {
                if !loop.inEventLoop { onLoop.withLockedValue { $0 = false } }
                seen.withLockedValue { $0.append(index) }
            }
        }
        try loop.submit {}.wait()
        #expect(seen.withLockedValue { $0 } == Array(0..<1000))
        #expect(onLoop.withLockedValue { $0 })
    }

    @Test("a loop made for batch runs its thread under SCHED_BATCH, another under the usual policy")
    func schedulingPolicy() throws {
        let batch = try EpollEventLoop(name: "test-batch", batch: true)
        defer { batch.syncShutdown() }
        let usual = try EpollEventLoop(name: "test")
        defer { usual.syncShutdown() }
        // Asked on each loop's own thread: the policy is per thread. SCHED_BATCH is 3 in
        // Linux's uapi sched.h; Swift's Glibc module leaves the GNU-only name out.
        #expect(try batch.submit { sched_getscheduler(0) }.wait() == 3)
        #expect(try usual.submit { sched_getscheduler(0) }.wait() == SCHED_OTHER)
        #expect(sched_getscheduler(0) == SCHED_OTHER, "the thread that made the loop keeps its policy")
    }

    @Test("execute on the loop runs after the current task, never inside it")
    func executeOnTheLoopIsNotInline() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let order = try loop.submit { () -> [String] in
            let steps = NIOLockedValueBox<[String]>([])
            loop.execute { steps.withLockedValue { $0.append("queued") } }
            steps.withLockedValue { $0.append("caller") }
            return steps.withLockedValue { $0 }
        }.wait()
        #expect(order == ["caller"])
    }

    @Test("many threads handing over work at once lose none of it")
    func concurrentHandoff() async throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let count = NIOLockedValueBox(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<2000 { loop.execute { count.withLockedValue { $0 += 1 } } }
                }
            }
        }
        try await loop.submit {}.get()
        #expect(count.withLockedValue { $0 } == 16_000)
    }

    @Test("work handed over one task at a time to a loop that sleeps between them each runs: no wakeup is lost")
    func handoffToIdleLoop() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let ran = DispatchSemaphore(value: 0)
        var late = 0
        for round in 0..<3_000 {
            // Now and then the loop is surely asleep in epoll_wait when the task comes.
            if round % 100 == 0 { usleep(1_000) }
            loop.execute { ran.signal() }
            if ran.wait(timeout: .now() + 5) == .timedOut { late += 1 }
        }
        #expect(late == 0)
    }

    @Test("a scheduled task runs on the loop, not before its deadline, earliest deadline first")
    func scheduledTasksRunInDeadlineOrder() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let start = NIODeadline.now()
        let order = NIOLockedValueBox<[Int]>([])
        let late = loop.scheduleTask(in: .milliseconds(60)) { () -> NIODeadline in
            order.withLockedValue { $0.append(60) }
            return .now()
        }
        let early = loop.scheduleTask(in: .milliseconds(20)) { () -> Bool in
            order.withLockedValue { $0.append(20) }
            return loop.inEventLoop
        }
        // The same deadline twice: the one scheduled first runs first.
        let deadline = start + .milliseconds(40)
        loop.scheduleTask(deadline: deadline) { order.withLockedValue { $0.append(40) } }
        loop.scheduleTask(deadline: deadline) { order.withLockedValue { $0.append(41) } }
        #expect(try early.futureResult.wait())
        let ranAt = try late.futureResult.wait()
        #expect(ranAt >= start + .milliseconds(60))
        #expect(order.withLockedValue { $0 } == [20, 40, 41, 60])
    }

    @Test("a task whose deadline has passed runs at once; one that throws fails its future")
    func pastDeadlineAndThrowingTask() throws {
        struct Refused: Error {}
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        #expect(try loop.scheduleTask(deadline: .now() - .seconds(1)) { 7 }.futureResult.wait() == 7)
        #expect(throws: Refused.self) { try loop.scheduleTask(in: .zero) { () throws -> Int in throw Refused() }.futureResult.wait() }
    }

    @Test("a cancelled task never runs and its future fails as cancelled, from any thread")
    func cancelledTasksNeverRun() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let ran = NIOLockedValueBox(false)
        let fromOutside = loop.scheduleTask(in: .milliseconds(30)) { ran.withLockedValue { $0 = true } }
        fromOutside.cancel()
        let fromInside = try loop.submit { () -> Scheduled<Void> in
            let scheduled = loop.scheduleTask(in: .milliseconds(30)) { ran.withLockedValue { $0 = true } }
            scheduled.cancel()
            return scheduled
        }.wait()
        for scheduled in [fromOutside, fromInside] {
            #expect {
                try scheduled.futureResult.wait()
            } throws: { ($0 as? EventLoopError) == .cancelled }
        }
        // Past both deadlines: still nothing ran.
        try loop.scheduleTask(in: .milliseconds(60)) {}.futureResult.wait()
        #expect(!ran.withLockedValue { $0 })
    }

    @Test("a connection deadline expires on this loop as on NIO's")
    func connectionDeadlineExpires() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let expired = loop.makePromise(of: NIODeadline.self)
        let start = NIODeadline.now()
        let deadline = try loop.submit { () -> NIOLoopBound<ConnectionDeadline> in
            let deadline = ConnectionDeadline(eventLoop: loop) { expired.succeed(.now()) }
            // Moved later twice before it fires: one expiry, at the last deadline.
            deadline.set(start + .milliseconds(10))
            deadline.set(start + .milliseconds(30))
            deadline.set(start + .milliseconds(50))
            return NIOLoopBound(deadline, eventLoop: loop)
        }.wait()
        #expect(try expired.futureResult.wait() >= start + .milliseconds(50))
        try loop.submit { deadline.value.cancel() }.wait()
    }

    @Test("a watched descriptor is told when it can be read and, when asked, written")
    func descriptorsAreWatched() throws {
        let loop = try EpollEventLoop(name: "test")
        defer { loop.syncShutdown() }
        let (near, far) = try socketPair()
        defer { Glibc.close(far) }
        let source = RecordingSource(fd: near, loop: loop)
        try loop.submit { try loop.register(near, source) }.wait()
        #expect(write(far, "ping", 4) == 4)
        #expect(try source.nextRead.wait() == "ping")
        // Writable only once asked for.
        try loop.submit { try loop.watch(near, writable: true) }.wait()
        try source.wroteOnce.futureResult.wait()
        // The far side closes: a read of zero bytes.
        shutdown(far, Int32(SHUT_WR))
        #expect(try source.nextRead.wait() == "")
    }

    @Test("shutting down closes the sources, abandons the timers and stops the thread")
    func shutdownClosesEverything() throws {
        let loop = try EpollEventLoop(name: "test")
        let (near, far) = try socketPair()
        defer { Glibc.close(far) }
        let source = RecordingSource(fd: near, loop: loop)
        try loop.submit { try loop.register(near, source) }.wait()
        let pending = loop.scheduleTask(in: .hours(1)) {}
        // Observed from before the end: a future of a stopped loop can no longer be waited on.
        let failure = NIOLockedValueBox<EventLoopError?>(nil)
        pending.futureResult.whenFailure { error in failure.withLockedValue { $0 = error as? EventLoopError } }
        loop.syncShutdown()
        #expect(source.shutDown.withLockedValue { $0 })
        #expect(failure.withLockedValue { $0 } == .shutdown)
        // The near end was closed by its source: the far end reads end of file.
        var byte: UInt8 = 0
        #expect(read(far, &byte, 1) == 0)
        // Work handed over after the end is dropped, not run, and nothing crashes; handOver
        // says so, so that what it was to take over (an accepted connection) is closed.
        loop.execute { Issue.record("ran after shutdown") }
        #expect(!loop.handOver { Issue.record("ran after shutdown") })
    }

    @Test("a loop in its last turn refuses a descriptor: nothing would ever tell its source or close it")
    func registerWhileStoppingFails() throws {
        let loop = try EpollEventLoop(name: "test")
        let (near, far) = try socketPair()
        defer {
            Glibc.close(near)
            Glibc.close(far)
        }
        let refused = NIOLockedValueBox<Bool?>(nil)
        // Queued behind the stop, in the same turn: what a connection handed over from
        // another loop while this one stopped would meet.
        try loop.submit {
            loop.shutdownGracefully { _ in }
            loop.execute {
                do {
                    try loop.register(near, SilentSource())
                    refused.withLockedValue { $0 = false }
                } catch {
                    refused.withLockedValue { $0 = true }
                }
            }
        }.wait()
        loop.syncShutdown()
        #expect(refused.withLockedValue { $0 } == true)
    }

    @Test("the timer heap pops in deadline then insertion order, with removals anywhere")
    func timerHeapAgreesWithASortedList() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var heap = LoopTimers()
            var reference: [(deadline: UInt64, sequence: Int, timer: LoopTimer)] = []
            for sequence in 0..<200 {
                let timer = LoopTimer(deadline: .uptimeNanoseconds(UInt64.random(in: 0..<50, using: &generator)), fire: {}, abandon: { _ in })
                heap.insert(timer)
                reference.append((timer.deadline, sequence, timer))
            }
            for _ in 0..<60 {
                let victim = reference.remove(at: Int.random(in: 0..<reference.count, using: &generator))
                let removed = heap.remove(victim.timer)
                let removedAgain = heap.remove(victim.timer)
                #expect(removed && !removedAgain)
            }
            reference.sort { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }
            var popped: [LoopTimer] = []
            while let timer = heap.popDue(now: .max) { popped.append(timer) }
            #expect(popped.map(ObjectIdentifier.init) == reference.map { ObjectIdentifier($0.timer) })
            #expect(heap.isEmpty)
        }
    }
}

/// A socket pair's two ends, both non-blocking.
private func socketPair() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw IOError(errnoCode: errno, reason: "socketpair") }
    for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    return (fds[0], fds[1])
}

/// A source that records what it read and whether it was told it can write or must close.
/// A source that does nothing when told.
private final class SilentSource: EpollSource {
    func readable() {}
    func writable() {}
    func loopShutDown() {}
}

private final class RecordingSource: EpollSource, @unchecked Sendable {
    let fd: Int32
    let loop: EpollEventLoop
    let wroteOnce: EventLoopPromise<Void>
    let shutDown = NIOLockedValueBox(false)
    private let reads = NIOLockedValueBox<[EventLoopPromise<String>]>([])
    private var readsDone: [String] = []
    private var closed = false
    private var wrote = false

    init(fd: Int32, loop: EpollEventLoop) {
        self.fd = fd
        self.loop = loop
        wroteOnce = loop.makePromise()
    }

    /// The text of the next read that returns (empty at end of file).
    var nextRead: EventLoopFuture<String> {
        let promise = loop.makePromise(of: String.self)
        loop.execute {
            if !self.readsDone.isEmpty {
                promise.succeed(self.readsDone.removeFirst())
            } else {
                self.reads.withLockedValue { $0.append(promise) }
            }
        }
        return promise.futureResult
    }

    func readable() {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        guard count >= 0 else { return }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        if count == 0 {
            loop.deregister(fd)
            Glibc.close(fd)
            closed = true
        }
        if let waiting = reads.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) {
            waiting.succeed(text)
        } else {
            readsDone.append(text)
        }
    }

    func writable() {
        try? loop.watch(fd, writable: false)
        if !wrote { wroteOnce.succeed() }
        wrote = true
    }

    func loopShutDown() {
        shutDown.withLockedValue { $0 = true }
        if !closed { Glibc.close(fd) }
        // No promise is left unfulfilled (NIO's debug builds stop on one).
        if !wrote { wroteOnce.fail(EventLoopError.shutdown) }
        wrote = true
        for waiting in reads.withLockedValue({ $0 }) { waiting.fail(EventLoopError.shutdown) }
    }
}
