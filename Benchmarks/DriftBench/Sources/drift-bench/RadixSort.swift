/// LSD radix sort of doubles on their IEEE-754 bits. Each double maps to a UInt64 whose
/// unsigned order is the numeric order (flip every bit of a negative, only the sign bit
/// of a positive); the digits are counted in one pass and scattered in one pass each,
/// skipping a digit every value shares. −0 sorts before +0; NaNs are not expected.
enum RadixSort {
    static let digitBits = 8
    static let buckets = 1 << digitBits
    static let passes = (64 + digitBits - 1) / digitBits

    @inline(__always) static func key(_ x: Double) -> UInt64 {
        let bits = x.bitPattern
        return bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | 0x8000_0000_0000_0000)
    }

    @inline(__always) static func value(_ key: UInt64) -> Double {
        Double(bitPattern: key ^ (((key >> 63) &- 1) | 0x8000_0000_0000_0000))
    }

    /// `values` sorted ascending, in a new array (the input is left as it is).
    static func sorted(_ values: UnsafeBufferPointer<Double>) -> [Double] {
        let n = values.count
        let mask = UInt64(buckets - 1)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: passes * buckets)
        counts.initialize(repeating: 0)
        let scratch = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(n, 1))
        defer {
            counts.deallocate()
            scratch.deallocate()
        }
        return [Double](unsafeUninitializedCapacity: n) { output, initialized in
            let keys = UnsafeMutableBufferPointer<UInt64>(start: UnsafeMutableRawPointer(output.baseAddress)?.assumingMemoryBound(to: UInt64.self), count: n)
            for i in 0..<n {
                let k = key(values[i])
                keys[i] = k
                for p in 0..<passes { counts[p * buckets + Int((k >> UInt64(p * digitBits)) & mask)] += 1 }
            }
            var source = keys
            var destination = scratch
            for p in 0..<passes where n > 0 {
                let base = p * buckets
                let shift = UInt64(p * digitBits)
                if counts[base + Int((source[0] >> shift) & mask)] == n { continue }  // one digit for all
                var sum = 0
                for b in base..<(base + buckets) {
                    let count = counts[b]
                    counts[b] = sum
                    sum += count
                }
                for k in source {
                    let b = base + Int((k >> shift) & mask)
                    destination[counts[b]] = k
                    counts[b] += 1
                }
                swap(&source, &destination)
            }
            if source.baseAddress != keys.baseAddress {
                for i in 0..<n { keys[i] = source[i] }
            }
            for i in 0..<n { output[i] = value(keys[i]) }
            initialized = n
        }
    }
}
