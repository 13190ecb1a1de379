import Foundation
import Testing

@testable import SluiceServe

/// Request ids come from a pool per thread: ids stay 32 lowercase hex digits, and no two
/// are alike whether they come from one thread, across its pool's refills, or from several
/// threads drawing at once (two pools filled from the kernel, not copies of one).
@Suite struct RequestIDTests {
    private static func isID(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    @Test("ids from one thread, across several refills of its pool, are well-formed and all different")
    func oneThread() {
        // A pool holds 256 ids: 2,000 draws refill it seven times.
        let ids = (0..<2000).map { _ in RequestID.generate() }
        #expect(ids.allSatisfy(Self.isID))
        #expect(Set(ids).count == ids.count)
    }

    @Test("ids drawn on eight threads at once are all different")
    func manyThreads() {
        let perThread = 1000
        let collected = LockedIDs()
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            Thread.detachNewThread {
                collected.add((0..<perThread).map { _ in RequestID.generate() })
                done.leave()
            }
        }
        done.wait()
        let ids = collected.all
        #expect(ids.count == 8 * perThread)
        #expect(ids.allSatisfy(Self.isID))
        #expect(Set(ids).count == ids.count)
    }
}

/// The ids the threads drew, gathered under a lock.
private final class LockedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []

    func add(_ more: [String]) {
        lock.lock()
        ids += more
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return ids
    }
}
