import Foundation
import NIOConcurrencyHelpers

/// Wakes the branch watcher when an entry of a watched directory is created, renamed into
/// place, written or removed (inotify), so a local commit reaches traffic without waiting for
/// a poll. Linux only; where inotify cannot be set up, ``init(directories:)`` fails and the
/// watcher polls as before.
///
/// One thread blocks in `poll(2)` on the inotify descriptor (waking every 250 ms to notice
/// ``stop()``) and signals ``wakes``; events are coalesced, so a commit that writes a lock
/// file and renames it wakes the watcher once or twice, never queues.
final class RefChangeWatcher: Sendable {
    /// One element per change seen, and one after `fallback` without any (the slow poll that
    /// still catches what a watch cannot see, such as a branch directory created later).
    /// Finishes on ``stop()``. One consumer.
    let wakes: AsyncStream<Void>
    private let stopped = NIOLockedValueBox(false)
    private let continuation: AsyncStream<Void>.Continuation

    /// Watches `directories`; nil when inotify is unavailable or none of them can be watched.
    init?(directories: [String], fallback: Duration = .seconds(1)) {
        #if os(Linux)
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)
        let watched = directories.filter { inotify_add_watch(descriptor, $0, mask) >= 0 }
        guard !watched.isEmpty else {
            close(descriptor)
            return nil
        }
        (wakes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let thread = Thread { [descriptor, stopped, continuation] in
            Self.pump(descriptor: descriptor, fallback: fallback, stopped: stopped, continuation: continuation)
        }
        thread.name = "sluice-ref-watch"
        thread.start()
        #else
        return nil
        #endif
    }

    /// Ends the watch; the thread exits within 250 ms and closes the descriptor.
    func stop() {
        stopped.withLockedValue { $0 = true }
        continuation.finish()
    }

    deinit { stop() }

    private static func pump(descriptor: Int32, fallback: Duration, stopped: NIOLockedValueBox<Bool>, continuation: AsyncStream<Void>.Continuation) {
        defer { close(descriptor) }
        let clock = ContinuousClock()
        var lastWake = clock.now
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !stopped.withLockedValue({ $0 }) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 250) > 0 {
                // Drain everything queued; which entry changed does not matter, only that one did.
                while read(descriptor, &buffer, buffer.count) > 0 {}
            } else if clock.now - lastWake < fallback {
                continue
            }
            lastWake = clock.now
            continuation.yield()
        }
    }
}
