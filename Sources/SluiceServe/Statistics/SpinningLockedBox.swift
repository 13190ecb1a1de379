#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock that spins briefly before it sleeps (glibc's adaptive mutex), for
/// the short critical sections every proxied request takes on both gateway loops: a
/// version's counters, sample reservoir and monitoring ring, the prediction log, a target's
/// table memos. With
/// NIO's lock (a plain mutex), a loop that found one held went to sleep in the kernel and
/// was woken again (a futex wait, a wake and two context switches), ~0.04 times a request
/// at full load (Benchmarks/README.md, "Hot path, slice 54"); the holder is out within
/// a few hundred nanoseconds, sooner than a sleep and a wake.
final class SpinningLockedBox<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        let made = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(made == 0, "pthread_mutex_init failed: \(made)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held.
    @inline(__always)
    func withLockedValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
