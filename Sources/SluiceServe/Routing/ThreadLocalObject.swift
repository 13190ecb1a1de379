#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One object per thread, made on the thread's first use and released when the thread ends:
/// what a hot path keeps per event loop without a lock, and without writing to a cache line
/// another core reads. Each instance holds a thread-specific key for as long as the process
/// runs (there are 1,024 of them), so it is made once, as a `static let`.
final class ThreadLocalObject<Value: AnyObject>: @unchecked Sendable {
    private var key = pthread_key_t()
    private let make: @Sendable () -> Value

    init(_ make: @escaping @Sendable () -> Value) {
        self.make = make
        let created = pthread_key_create(&key) { stored in
            guard let stored else { return }
            Unmanaged<AnyObject>.fromOpaque(stored).release()
        }
        precondition(created == 0, "no thread-specific key left (error \(created))")
    }

    /// The calling thread's object, made on its first call.
    var current: Value { unmanaged.takeUnretainedValue() }

    /// The calling thread's object, made on its first call, for a hot path to use without a
    /// reference count (`_withUnsafeGuaranteedRef`): the thread's key holds it while the
    /// thread runs.
    var unmanaged: Unmanaged<Value> {
        if let stored = pthread_getspecific(key) {
            return Unmanaged<Value>.fromOpaque(stored)
        }
        let value = Unmanaged.passRetained(make())
        pthread_setspecific(key, value.toOpaque())
        return value
    }
}
