import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gateway request ids: 128 bits from the system CSPRNG, so an id observed in one answer
/// says nothing about any other (feedback is joined to predictions by id). Random bytes
/// are read from the kernel 4 KiB at a time, so an id costs no system call on average.
enum RequestID {
    private static let pool = NIOLockedValueBox(Pool())

    private struct Pool {
        var words: [UInt64] = []
        /// /dev/urandom, opened once (close-on-exec); -1 if it cannot be.
        let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

        /// Refills from the kernel's CSPRNG; the standard library's generator (the same
        /// source, one call per word) if the device is unavailable or short.
        mutating func refill() {
            var fresh = [UInt64](repeating: 0, count: 512)
            if device >= 0, fresh.withUnsafeMutableBytes({ read(device, $0.baseAddress, $0.count) }) == fresh.count * 8 {
                words = fresh
                return
            }
            var generator = SystemRandomNumberGenerator()
            for index in fresh.indices { fresh[index] = generator.next() }
            words = fresh
        }
    }

    /// A new id: 32 lowercase hex digits.
    static func generate() -> String {
        let (high, low) = pool.withLockedValue { pool -> (UInt64, UInt64) in
            if pool.words.count < 2 { pool.refill() }
            return (pool.words.removeLast(), pool.words.removeLast())
        }
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
}
