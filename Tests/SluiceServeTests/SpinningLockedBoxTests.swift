import Foundation
import Testing

@testable import SluiceServe

/// The gateway's spinning lock excludes: threads that change one value at once lose nothing.
@Suite("spinning locked box")
struct SpinningLockedBoxTests {
    @Test("four threads adding 100,000 each to one value, with a read-modify-write under the lock, reach 400,000")
    func excludes() async {
        let box = SpinningLockedBox<(count: Int, last: Int)>((0, 0))
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for thread in 0..<4 {
                group.enter()
                Thread {
                    for _ in 0..<100_000 {
                        box.withLockedValue { value in
                            // Two fields changed together: a lost exclusion shows in the count.
                            let count = value.count
                            value.last = thread
                            value.count = count + 1
                        }
                    }
                    group.leave()
                }.start()
            }
            group.notify(queue: .global()) { done.resume() }
        }
        #expect(box.withLockedValue { $0.count } == 400_000)
    }
}
