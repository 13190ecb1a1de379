@testable import SluiceServe
import Testing

@Suite("restart backoff", .timeLimit(.minutes(10)))
struct RestartBackoffTests {
    @Test("a process that keeps exiting waits 1 s doubling to 30 s, never more; a healthy run resets the wait")
    func doublesToTheCapAndResets() {
        var backoff = RestartBackoff()
        let quick = Swift.Duration.milliseconds(200)
        let delays = (0..<8).map { _ in backoff.delay(afterRunOf: quick) }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30, 30].map { Swift.Duration.seconds($0) })
        #expect(backoff.delay(afterRunOf: .seconds(120)) == .seconds(1))
        #expect(backoff.delay(afterRunOf: quick) == .seconds(2))
    }
}
