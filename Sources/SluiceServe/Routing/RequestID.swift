#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gateway request id: 128 bits from the system CSPRNG, so an id observed in one answer
/// says nothing about any other (feedback is joined to predictions by id). Written as 32
/// lowercase hex digits. Kept as its two words on the request path: the 32-digit `String`
/// it was cost an allocation per request and a string hash and compare in the prediction
/// log (Benchmarks/README.md, "Hot path, slice 45"). Random bytes are read from the kernel
/// 4 KiB at a time, so an id costs no system call on average.
///
/// Each thread draws from a pool of its own: every request takes an id, and a pool shared
/// by the event loops was a lock each of them took per request, its cache line passed from
/// core to core (Benchmarks/README.md, "Hot path, slice 44").
package struct RequestID: Hashable, Sendable, CustomStringConvertible {
    /// The first 64 bits, the first 16 hex digits.
    let high: UInt64
    /// The last 64 bits.
    let low: UInt64

    /// The number of hex digits in an id's text.
    static let digits = 32

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id whose text is `text`: exactly 32 lowercase hex digits, as ``description``
    /// writes them; nil for any other text (upper case included, so one id has one text).
    package init?(_ text: String) {
        var text = text
        let parsed: (UInt64, UInt64)? = text.withUTF8 { bytes in
            guard bytes.count == Self.digits else { return nil }
            var words: (UInt64, UInt64) = (0, 0)
            for index in 0..<Self.digits {
                let byte = bytes[index]
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                default: return nil
                }
                if index < 16 { words.0 = words.0 << 4 | UInt64(nibble) } else { words.1 = words.1 << 4 | UInt64(nibble) }
            }
            return words
        }
        guard let parsed else { return nil }
        self.init(high: parsed.0, low: parsed.1)
    }

    /// A new id.
    static func generate() -> RequestID {
        let pool = Pool.current
        if pool.words.count < 2 { pool.refill() }
        return RequestID(high: pool.words.removeLast(), low: pool.words.removeLast())
    }

    /// The 32 lowercase hex digits.
    package var description: String {
        String(unsafeUninitializedCapacity: Self.digits) { bytes in
            write(to: UnsafeMutableRawBufferPointer(bytes))
            return Self.digits
        }
    }

    /// Writes the 32 digits to the start of `bytes`, which has room for them: eight digits a
    /// word (``hexDigits(_:)``), four stores where a digit at a time took ~300 instructions.
    @inline(__always)
    func write(to bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.digits, "no room for a request id")
        let base = bytes.baseAddress!
        base.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: high >> 32)), toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: high)), toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: low >> 32)), toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: Self.hexDigits(UInt32(truncatingIfNeeded: low)), toByteOffset: 24, as: UInt64.self)
    }

    /// The eight lowercase hex digits of `value`, most significant first, as a word whose
    /// bytes in memory are those digits. Each nibble is spread into a byte of its own, then
    /// `'0'` is added to every byte and `'a' - '0' - 10` more to those of 10 or above (a
    /// nibble plus 6 carries into bit 4 exactly then).
    @inline(__always)
    static func hexDigits(_ value: UInt32) -> UInt64 {
        var spread = UInt64(value)
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        spread = (spread | spread << 4) & 0x0F0F_0F0F_0F0F_0F0F
        let letters = ((spread &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let digits = spread &+ 0x3030_3030_3030_3030 &+ letters &* 39
        // The most significant digit is in the highest byte, and goes first in memory.
        return digits.bigEndian
    }

    /// One thread's random words, kept in the thread's specific data and released when the
    /// thread ends. Only its thread touches it.
    private final class Pool {
        var words: [UInt64] = []

        /// /dev/urandom, opened once for every thread (close-on-exec); -1 if it cannot be.
        private static let device = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

        private static let pools = ThreadLocalObject { Pool() }

        /// The calling thread's pool, made on its first id.
        static var current: Pool { pools.current }

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
