import NIOConcurrencyHelpers
import NIOCore

/// When a request last made progress (got its head, got a chunk). Until the first `touch()`
/// the watchdog is not armed: the request's own deadline covers connecting and the head, so
/// a refused connection reports why instead of a bare timeout.
final class S3Activity: Sendable {
    private let last = NIOLockedValueBox<NIODeadline?>(nil)

    /// Records progress now.
    func touch() { last.withLockedValue { $0 = .now() } }

    var lastProgress: NIODeadline? { last.withLockedValue { $0 } }
}

/// Thrown inside ``withIdleTimeout(_:_:)`` when nothing moved for the timeout.
struct S3IdleTimeoutError: Error {}

/// Runs `operation`, cancelling it and throwing ``S3IdleTimeoutError`` once it goes `timeout`
/// without calling `touch()` on the activity it is given: an idle (read) timeout, so a large
/// download that keeps moving is never cut off while a stalled one fails quickly.
func withIdleTimeout<T: Sendable>(_ timeout: TimeAmount, _ operation: @escaping @Sendable (S3Activity) async throws -> T) async throws -> T {
    let activity = S3Activity()
    let started = NIODeadline.now()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation(activity) }
        group.addTask {
            while true {
                // Unarmed, it still ends a request whose own deadline somehow never fired.
                let unarmed: NIODeadline = started + timeout + timeout + .seconds(1)
                let end: NIODeadline = activity.lastProgress.map { $0 + timeout } ?? unarmed
                let remaining: TimeAmount = end - .now()
                if remaining <= .zero { throw S3IdleTimeoutError() }
                try await Task.sleep(nanoseconds: UInt64(remaining.nanoseconds))
            }
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw S3IdleTimeoutError() }
        return value
    }
}
