import Testing

@testable import SluiceServe

/// Which loop takes a new connection: the one holding the fewest, the accepting loop on a tie.
struct ConnectionBalanceTests {
    @Test("a connection stays on the loop that accepted it while that loop holds no more than the others")
    func tieStaysOnTheAcceptingLoop() {
        let balance = ConnectionBalance(loops: 3)
        #expect(balance.assign(acceptedOn: 2) == 2)
        #expect(balance.assign(acceptedOn: 1) == 1)
        #expect(balance.assign(acceptedOn: 0) == 0)
        #expect(balance.counts == [1, 1, 1])
    }

    @Test("a burst accepted on one loop is dealt out evenly, the next going to the lowest-numbered emptiest loop")
    func burstIsDealtOut() {
        let balance = ConnectionBalance(loops: 2)
        let chosen = (0..<16).map { _ in balance.assign(acceptedOn: 1) }
        #expect(chosen == Array(repeating: [1, 0], count: 8).flatMap { $0 })
        #expect(balance.counts == [8, 8])
        let three = ConnectionBalance(loops: 3)
        #expect((0..<6).map { _ in three.assign(acceptedOn: 2) } == [2, 0, 1, 2, 0, 1])
    }

    @Test("closed connections make their loop the one that takes the next")
    func releaseRefills() {
        let balance = ConnectionBalance(loops: 2)
        for _ in 0..<8 { _ = balance.assign(acceptedOn: 0) }
        #expect(balance.counts == [4, 4])
        balance.release(1)
        balance.release(1)
        #expect(balance.counts == [4, 2])
        #expect(balance.assign(acceptedOn: 0) == 1)
        #expect(balance.assign(acceptedOn: 0) == 1)
        #expect(balance.assign(acceptedOn: 0) == 0)
        #expect(balance.counts == [5, 4])
    }
}
