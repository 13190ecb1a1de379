import Foundation
import Testing

@testable import SluiceServe

/// Request ids come from a pool per thread: ids stay 32 lowercase hex digits, and no two
/// are alike whether they come from one thread, across its pool's refills, or from several
/// threads drawing at once (two pools filled from the kernel, not copies of one).
@Suite struct RequestIDTests {
    private static func isID(_ id: RequestID) -> Bool {
        let text = id.description
        return text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            && RequestID(text) == id
    }

    @Test("ids from one thread, across several refills of its pool, are well-formed and all different")
    func oneThread() {
        // A pool holds 256 ids: 2,000 draws refill it seven times.
        let ids = (0..<2000).map { _ in RequestID.generate() }
        #expect(ids.allSatisfy(Self.isID))
        #expect(Set(ids).count == ids.count)
    }

    @Test("an id's text is read back only when it is exactly 32 lowercase hex digits")
    func text() {
        let id = RequestID(high: 0x0123_4567_89AB_CDEF, low: 0x0FED_CBA9_8765_4321)
        #expect(id.description == "0123456789abcdef0fedcba987654321")
        #expect(RequestID("0123456789abcdef0fedcba987654321") == id)
        #expect(RequestID("ffffffffffffffffffffffffffffffff") == RequestID(high: .max, low: .max))
        #expect(RequestID(String(repeating: "0", count: 32)) == RequestID(high: 0, low: 0))
        let refused = [
            "", "0123456789abcdef0fedcba98765432", "0123456789abcdef0fedcba9876543210", "0123456789ABCDEF0FEDCBA987654321",
            "0123456789abcdef0fedcba98765432g", "0123456789abcdef0fedcba98765432/", "0123456789abcdef0fedcba98765432:",
            "0123456789abcdef0fedcba98765432`", " 123456789abcdef0fedcba987654321", "0123456789abcdef\u{e9}edcba98765432",
        ]
        for text in refused { #expect(RequestID(text) == nil, "\(text)") }
    }

    @Test("an id's digits, written eight at a time, are the standard library's hex of its words")
    func digitsAgreeWithTheStandardLibrary() {
        func hex(_ word: UInt64) -> String {
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        var generator = SystemRandomNumberGenerator()
        var words: [UInt64] = [0, 1, 9, 10, 15, 16, 0x9999_9999_9999_9999, 0xAAAA_AAAA_AAAA_AAAA, .max, .max - 1, 1 << 63]
        words += (0..<2000).map { _ in generator.next() }
        for high in words.prefix(11) {
            for low in words {
                let id = RequestID(high: high, low: low)
                #expect(id.description == hex(high) + hex(low))
            }
        }
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
    private var ids: [RequestID] = []

    func add(_ more: [RequestID]) {
        lock.lock()
        ids += more
        lock.unlock()
    }

    var all: [RequestID] {
        lock.lock()
        defer { lock.unlock() }
        return ids
    }
}
