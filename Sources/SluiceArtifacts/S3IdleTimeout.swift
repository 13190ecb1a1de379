import NIOConcurrencyHelpers
import NIOCore

/// When a request last made progress (connected, got its head, got a chunk).
final class S3Activity: Sendable {
    private let last = NIOLockedValueBox(NIODeadline.now())

    /// Records progress now.
    func touch() { last.withLockedValue { $0 = .now() } }

    var lastProgress: NIODeadline { last.withLockedValue { $0 } }
}

/// Thrown inside ``withIdleTimeout(_:_:)`` when nothing moved for the timeout.
struct S3IdleTimeoutError: Error {}

/// Runs `operation`, cancelling it and throwing ``S3IdleTimeoutError`` once it goes `timeout`
/// without calling `touch()` on the activity it is given: an idle (read) timeout, so a large
/// download that keeps moving is never cut off while a stalled one fails quickly.
func withIdleTimeout<T: Sendable>(_ timeout: TimeAmount, _ operation: @escaping @Sendable (S3Activity) async throws -> T) async throws -> T {
    let activity = S3Activity()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation(activity) }
        group.addTask {
            while true {
                let remaining = activity.lastProgress + timeout - .now()
                if remaining <= .zero { throw S3IdleTimeoutError() }
                try await Task.sleep(nanoseconds: UInt64(remaining.nanoseconds))
            }
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw S3IdleTimeoutError() }
        return value
    }
}
