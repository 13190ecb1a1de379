#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gateway request ids: 128 bits from the system CSPRNG, so an id observed in one answer
/// says nothing about any other (feedback is joined to predictions by id). Random bytes
/// are read from the kernel 4 KiB at a time, so an id costs no system call on average.
///
/// Each thread draws from a pool of its own: every request takes an id, and a pool shared
/// by the event loops was a lock each of them took per request, its cache line passed from
/// core to core (Benchmarks/README.md, "Hot path, slice 44").
enum RequestID {
    /// A new id: 32 lowercase hex digits.
    static func generate() -> String {
        let pool = Pool.current
        if pool.words.count < 2 { pool.refill() }
        let high = pool.words.removeLast()
        let low = pool.words.removeLast()
        // Written straight into the string's storage: no digit table or byte array per id.
        return String(unsafeUninitializedCapacity: 32) { bytes in
            var first = high
            var second = low
            for index in 0..<16 {
                bytes[15 - index] = hexDigit(first & 0xF)
                bytes[31 - index] = hexDigit(second & 0xF)
                first >>= 4
                second >>= 4
            }
            return 32
        }
    }

    private static func hexDigit(_ nibble: UInt64) -> UInt8 {
        UInt8(truncatingIfNeeded: nibble) + (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") - 10)
    }

    /// One thread's random words, kept in the thread's specific data and released when the
    /// thread ends. Only its thread touches it.
    private final class Pool {
        var words: [UInt64] = []

        /// /dev/urandom, opened once for every thread (close-on-exec); -1 if it cannot be.
        private static let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

        /// The key of each thread's pool.
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            let created = pthread_key_create(&key) { Pool.release($0) }
            precondition(created == 0, "no thread-specific key for the request-id pools (error \(created))")
            return key
        }()

        /// The calling thread's pool, made on its first id.
        static var current: Pool {
            if let stored = pthread_getspecific(key) {
                return Unmanaged<Pool>.fromOpaque(stored).takeUnretainedValue()
            }
            let pool = Pool()
            pthread_setspecific(key, Unmanaged.passRetained(pool).toOpaque())
            return pool
        }

        /// The key's destructor: lets go of an ended thread's pool.
        private static func release(_ stored: UnsafeMutableRawPointer?) {
            guard let stored else { return }
            Unmanaged<Pool>.fromOpaque(stored).release()
        }

        /// Refills from the kernel's CSPRNG; the standard library's generator (the same
        /// source, one call per word) if the device is unavailable or short.
        func refill() {
            var fresh = [UInt64](repeating: 0, count: 512)
            if Self.device >= 0, fresh.withUnsafeMutableBytes({ read(Self.device, $0.baseAddress, $0.count) }) == fresh.count * 8 {
                words = fresh
                return
            }
            var generator = SystemRandomNumberGenerator()
            for index in fresh.indices { fresh[index] = generator.next() }
            words = fresh
        }
    }
}
