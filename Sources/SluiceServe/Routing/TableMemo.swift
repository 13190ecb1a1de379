import NIOConcurrencyHelpers

/// What a table of the gateway's (statistics, monitoring rings) holds for one target's
/// version, looked up once and then read here while the table has dropped nothing since: its
/// generation, which it bumps whenever it drops a version, is the one the value was read at.
/// The tables' lookups (a shared lock and a hashed key each) were ~760 instructions of every
/// proxied request; this is a lock of the target's own (Benchmarks/README.md, "Hot path,
/// slice 54").
final class TableMemo<Value: Sendable>: Sendable {
    private struct Kept {
        let generation: Int
        let value: Value
    }

    private let kept = SpinningLockedBox<Kept?>(nil)

    init() {}

    /// The value kept at `generation` (the table's now), else `lookUp()`'s, then kept. A value
    /// read at an older generation may be one the table has dropped since: it is read again.
    func value(at generation: Int, _ lookUp: () -> Value) -> Value {
        if let hit = kept.withLockedValue({ kept -> Value? in
            guard let kept, kept.generation == generation else { return nil }
            return kept.value
        }) {
            return hit
        }
        // The generation read before the lookup: a drop during it makes the kept value stale.
        let value = lookUp()
        kept.withLockedValue { $0 = Kept(generation: generation, value: value) }
        return value
    }
}
