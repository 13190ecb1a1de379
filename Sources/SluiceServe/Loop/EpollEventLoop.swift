import Atomics
import CSluiceEpoll
import Dispatch
import Glibc
import NIOConcurrencyHelpers
import NIOCore

/// A descriptor an ``EpollEventLoop`` watches, told on the loop what became ready.
protocol EpollSource: AnyObject {
    /// The descriptor can be read, or was hung up on or failed (a read then says which).
    func readable()
    /// The descriptor can be written again (asked for with ``EpollEventLoop/watch(_:writable:)``).
    func writable()
    /// The loop is shutting down: close the descriptor. Called once, on the loop.
    func loopShutDown()
    /// The listener `owner` is stopping gracefully (``EpollEventLoop/drainSources(of:)``):
    /// a connection of its finishes what is under way, then closes. Other sources ignore it.
    func drain(of owner: ObjectIdentifier)
}

extension EpollSource {
    func drain(of owner: ObjectIdentifier) {}
}

/// An event loop of Sluice's own: one thread, one epoll instance, an eventfd that wakes it for
/// work handed over from other threads, and a heap of timers. It conforms to NIO's `EventLoop`,
/// so promises, futures and scheduled tasks run on it as on NIO's, and it watches plain
/// descriptors (``EpollSource``) where NIO's loops only take NIO's channels: the gateway's
/// HTTP/1 sockets read and written with the system calls alone, without the ~21,000
/// instructions a request NIO's channels cost over them (Benchmarks/README.md, "Hot path,
/// slice 52").
///
/// Level-triggered: a source that leaves bytes unread is told again on the next wait.
/// Timers have the resolution of `epoll_wait`'s timeout, a millisecond, rounded up: a task
/// never runs before its deadline.
final class EpollEventLoop: EventLoop, @unchecked Sendable {
    /// Work handed over from other threads, and whether the eventfd was written since the
    /// loop last took it.
    private struct Handoff {
        var tasks: [@Sendable () -> Void] = []
        var woken = false
        /// Shutting down: what is handed over from now on is dropped.
        var closing = false
    }

    private let epoll: Int32
    private let wakeup: Int32
    private let handoff = NIOLockedValueBox(Handoff())
    /// Whether `handoff.tasks` holds work: set with each task handed over and cleared when the
    /// loop takes them, both under the lock; read without it at each turn, so that a turn with
    /// nothing handed over (nearly every one) takes no lock (~100 instructions a proxied
    /// request; Benchmarks/README.md, "Hot path, slice 60"). A stale `false` loses nothing:
    /// the task's eventfd write, after the flag's store, wakes the loop for another turn.
    private let handedOver = ManagedAtomic(false)
    /// The loop's thread, set before `init` returns and never again.
    private var thread = pthread_t()
    /// True once the thread has left its loop and closed the descriptors.
    private let finished = ConditionLock(value: false)
    private let name: String
    private let batch: Bool

    // Touched only on the loop's thread.
    /// `execute` called on the loop: run after the current turn's events, never inline.
    private var local: [() -> Void] = []
    private var timers = LoopTimers()
    private var sources: [(any EpollSource)?] = []
    private var stopping = false

    /// Starts the loop's thread, named `name` for debuggers (the thread's name is its first 15
    /// bytes); with `batch`, under SCHED_BATCH (``ServeConfig/EventLoopScheduling``), or as
    /// before where the kernel refuses it.
    init(name: String, batch: Bool = false) throws {
        self.name = name
        self.batch = batch
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        wakeup = eventfd(0, sluice_eventfd_flags)
        guard wakeup >= 0 else {
            let code = errno
            Glibc.close(epoll)
            throw IOError(errnoCode: code, reason: "eventfd")
        }
        var event = epoll_event()
        event.events = sluice_epoll_in
        event.data.fd = wakeup
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0 else {
            let code = errno
            Glibc.close(wakeup)
            Glibc.close(epoll)
            throw IOError(errnoCode: code, reason: "epoll_ctl")
        }
        // The thread waits until `thread` is set, so that its first `inEventLoop` is true.
        let started = ConditionLock(value: 0)
        started.lock()
        let box = Unmanaged.passRetained(StartBox(loop: self, started: started)).toOpaque()
        let created = pthread_create(&thread, nil, { pointer in
            let start = Unmanaged<StartBox>.fromOpaque(pointer!).takeRetainedValue()
            start.started.lock(whenValue: 1)
            start.started.unlock()
            start.loop.run()
            return nil
        }, box)
        guard created == 0 else {
            started.unlock()
            Unmanaged<StartBox>.fromOpaque(box).release()
            Glibc.close(wakeup)
            Glibc.close(epoll)
            throw IOError(errnoCode: created, reason: "pthread_create")
        }
        pthread_detach(thread)
        started.unlock(withValue: 1)
    }

    /// What the new thread needs: the loop (retained until it runs) and the lock it waits on.
    private final class StartBox {
        let loop: EpollEventLoop
        let started: ConditionLock<Int>

        init(loop: EpollEventLoop, started: ConditionLock<Int>) {
            self.loop = loop
            self.started = started
        }
    }

    // MARK: - EventLoop

    var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func execute(_ task: @escaping @Sendable () -> Void) {
        handOver(task)
    }

    /// ``execute(_:)``, saying whether `task` will run: false when the loop has shut down and
    /// dropped it (what the task was to take over is then the caller's to close).
    @discardableResult
    func handOver(_ task: @escaping @Sendable () -> Void) -> Bool {
        if inEventLoop {
            local.append(task)
            return true
        }
        return handoff.withLockedValue { handoff in
            guard !handoff.closing else { return false }
            handoff.tasks.append(task)
            handedOver.store(true, ordering: .relaxed)
            guard !handoff.woken else { return true }
            handoff.woken = true
            // Written under the lock that `shutDown` closes the eventfd under: outside it, the
            // number could be closed and handed to another socket between the check and the write.
            var one: UInt64 = 1
            _ = write(wakeup, &one, MemoryLayout<UInt64>.size)
            return true
        }
    }

    @discardableResult
    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        let timer = LoopTimer(
            deadline: deadline,
            fire: {
                // On the loop, the promise's own: its value never crosses a thread.
                let isolated = promise.assumeIsolatedUnsafeUnchecked()
                do { isolated.succeed(try task()) } catch { promise.fail(error) }
            },
            abandon: { promise.fail($0) })
        if inEventLoop {
            timers.insert(timer)
        } else {
            execute { self.timers.insert(timer) }
        }
        return Scheduled(promise: promise) {
            // Any thread may cancel; the heap is the loop's.
            if self.inEventLoop {
                self.cancel(timer)
            } else {
                self.execute { self.cancel(timer) }
            }
        }
    }

    @discardableResult
    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        execute { self.stopping = true }
        DispatchQueue.global().async {
            self.finished.lock(whenValue: true)
            self.finished.unlock()
            queue.async { callback(nil) }
        }
    }

    /// Stops the loop and waits until its thread is done (not on the loop itself).
    func syncShutdown() {
        precondition(!inEventLoop, "a loop cannot wait for itself to stop")
        execute { self.stopping = true }
        finished.lock(whenValue: true)
        finished.unlock()
    }

    private func cancel(_ timer: LoopTimer) {
        if timers.remove(timer) { timer.abandon(EventLoopError.cancelled) }
    }

    // MARK: - descriptors

    /// Watches `fd` for reading (and writing when `writable`), telling `source` on this loop.
    /// Call on the loop.
    func register(_ fd: Int32, _ source: any EpollSource, writable: Bool = false) throws {
        assert(inEventLoop)
        // Past its last turn nothing would tell the source or close it (a connection another
        // loop handed over while this one stopped).
        guard !stopping else { throw EventLoopError.shutdown }
        try control(EPOLL_CTL_ADD, fd, readable: true, writable: writable)
        remember(source, for: fd)
    }

    /// Watches a listening socket several loops share, with `EPOLLEXCLUSIVE`: a connection
    /// wakes one of them, not all. Call on the loop.
    func registerExclusive(_ fd: Int32, _ source: any EpollSource) throws {
        assert(inEventLoop)
        var event = epoll_event()
        event.events = sluice_epoll_in | sluice_epoll_exclusive
        event.data.fd = fd
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { throw IOError(errnoCode: errno, reason: "epoll_ctl") }
        remember(source, for: fd)
    }

    /// The table of sources is indexed by descriptor (descriptors are small and reused).
    private func remember(_ source: any EpollSource, for fd: Int32) {
        let index = Int(fd)
        if index >= sources.count { sources.append(contentsOf: repeatElement(nil, count: index + 1 - sources.count)) }
        sources[index] = source
    }

    /// Whether `fd`'s source is told when it can be read (a source holding reading back says
    /// no) and when it can be written. Call on the loop.
    func watch(_ fd: Int32, readable: Bool = true, writable: Bool) throws {
        assert(inEventLoop)
        try control(EPOLL_CTL_MOD, fd, readable: readable, writable: writable)
    }

    /// Asks every source watched now to drain for `owner` (``EpollSource/drain(of:)``): the
    /// caller connections of a listener that stopped accepting. On the loop.
    func drainSources(of owner: ObjectIdentifier) {
        // A copy: a source that closes at once deregisters itself from the table.
        for case let source? in sources { source.drain(of: owner) }
    }

    /// Stops watching `fd` (before it is closed). Call on the loop.
    func deregister(_ fd: Int32) {
        assert(inEventLoop)
        let index = Int(fd)
        guard index < sources.count, sources[index] != nil else { return }
        sources[index] = nil
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
    }

    private func control(_ operation: Int32, _ fd: Int32, readable: Bool, writable: Bool) throws {
        var event = epoll_event()
        event.events = (readable ? sluice_epoll_in | sluice_epoll_rdhup : 0) | (writable ? sluice_epoll_out : 0)
        event.data.fd = fd
        guard epoll_ctl(epoll, operation, fd, &event) == 0 else { throw IOError(errnoCode: errno, reason: "epoll_ctl") }
    }

    // MARK: - the loop

    private func run() {
        // What `top -H` and the kernel's per-thread statistics show (15 bytes at most).
        sluice_name_thread(name)
        if batch { _ = sluice_schedule_as_batch() }
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while true {
            runDueTimers()
            runTasks()
            if stopping { break }
            let ready = epoll_wait(epoll, events, Int32(capacity), waitMilliseconds())
            if ready < 0 {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait failed: \(errno)")
            }
            for slot in 0..<Int(ready) {
                let fd = events[slot].data.fd
                let flags = events[slot].events
                if fd == wakeup {
                    var count: UInt64 = 0
                    _ = read(wakeup, &count, MemoryLayout<UInt64>.size)
                    continue
                }
                if flags & (sluice_epoll_in | sluice_epoll_rdhup | sluice_epoll_hup | sluice_epoll_err) != 0, let source = source(fd) {
                    source.readable()
                }
                // Looked up again: reading may have closed the descriptor, and another may
                // since have taken its number.
                if flags & sluice_epoll_out != 0, let source = source(fd) {
                    source.writable()
                }
            }
        }
        shutDown()
    }

    private func source(_ fd: Int32) -> (any EpollSource)? {
        let index = Int(fd)
        return index < sources.count ? sources[index] : nil
    }

    /// How long `epoll_wait` may sleep: not at all with work queued, until the next timer
    /// (rounded up to a millisecond), or indefinitely.
    private func waitMilliseconds() -> Int32 {
        if !local.isEmpty { return 0 }
        guard let next = timers.nextDeadline else { return -1 }
        let now = NIODeadline.now().uptimeNanoseconds
        guard next > now else { return 0 }
        let milliseconds = (next - now + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }

    private func runDueTimers() {
        let now = NIODeadline.now().uptimeNanoseconds
        while let timer = timers.popDue(now: now) { timer.fire() }
    }

    /// Runs what `execute` queued, on this thread and handed over, until none is left.
    private func runTasks() {
        while true {
            var tasks: [@Sendable () -> Void] = []
            if handedOver.load(ordering: .acquiring) {
                tasks = handoff.withLockedValue { handoff -> [@Sendable () -> Void] in
                    handoff.woken = false
                    handedOver.store(false, ordering: .relaxed)
                    var taken: [@Sendable () -> Void] = []
                    swap(&taken, &handoff.tasks)
                    return taken
                }
            }
            if tasks.isEmpty, local.isEmpty { return }
            for task in tasks { task() }
            tasks.removeAll()
            var queued: [() -> Void] = []
            swap(&queued, &local)
            for task in queued { task() }
        }
    }

    /// After the loop's last turn: sources closed, timers abandoned, the descriptors closed,
    /// and whoever waits for the shutdown told.
    private func shutDown() {
        handoff.withLockedValue { $0.closing = true }
        defer {
            _ = handoff.withLockedValue { _ in Glibc.close(wakeup) }
            Glibc.close(epoll)
            finished.lock()
            finished.unlock(withValue: true)
        }
        for case let source? in sources { source.loopShutDown() }
        sources.removeAll()
        for timer in timers.removeAll() { timer.abandon(EventLoopError.shutdown) }
        // What the sources and timers' promises queued while closing still runs.
        runTasks()
    }

    var description: String { "EpollEventLoop(\(name))" }
}
