import Atomics

/// What a table of the gateway's (statistics, monitoring rings) holds for one target's
/// version, looked up once and then read here while the table has dropped nothing since: its
/// generation, which it bumps whenever it drops a version, is the one the value was read at.
/// The tables' lookups (a shared lock and a hashed key each) were ~760 instructions of every
/// proxied request (Benchmarks/README.md, "Hot path, slice 54"); a lock of the target's own
/// then cost ~60 a read, and a read now takes none (slice 59).
///
/// A read is a sequence lock's: the generation and the value's address are published between
/// two increments of `sequence` (odd while a writer is between them), and a reader that saw
/// the same even sequence before and after reading both has a consistent pair. The address
/// is not retained by the atomics: every value ever published stays in `published` while the
/// memo lives, so an address read is always a live object's. A value is added there only when
/// it is not the last one published, so the list grows only when the table's object for this
/// version changes (the version dropped and back), not at each drop of another version.
final class TableMemo<Value: AnyObject & Sendable>: Sendable {
    private let sequence = ManagedAtomic<UInt64>(0)
    private let generation = ManagedAtomic<Int>(.min)
    private let address = ManagedAtomic<UInt>(0)
    /// The values published, in order; written under its lock, which also orders the writers.
    private let published = SpinningLockedBox<[Value]>([])

    init() {}

    /// The value kept at `generation` (the table's now), else `lookUp()`'s, then kept. A value
    /// read at an older generation may be one the table has dropped since: it is read again.
    func value(at wanted: Int, _ lookUp: () -> Value) -> Value {
        let before = sequence.load(ordering: .acquiring)
        if before & 1 == 0 {
            let kept = generation.load(ordering: .relaxed)
            let bits = address.load(ordering: .relaxed)
            // The two reads above happen before the sequence is read again.
            atomicMemoryFence(ordering: .acquiring)
            if kept == wanted, bits != 0, sequence.load(ordering: .relaxed) == before,
               let pointer = UnsafeRawPointer(bitPattern: bits) {
                return Unmanaged<Value>.fromOpaque(pointer).takeUnretainedValue()
            }
        }
        // The generation read before the lookup: a drop during it makes the kept value stale.
        let value = lookUp()
        published.withLockedValue { published in
            if published.last !== value { published.append(value) }
            sequence.wrappingIncrement(ordering: .relaxed)
            // The odd sequence is seen before either store.
            atomicMemoryFence(ordering: .releasing)
            generation.store(wanted, ordering: .relaxed)
            address.store(UInt(bitPattern: Unmanaged.passUnretained(value).toOpaque()), ordering: .relaxed)
            sequence.wrappingIncrement(ordering: .releasing)
        }
        return value
    }
}
