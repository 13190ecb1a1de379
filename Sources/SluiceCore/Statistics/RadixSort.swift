/// A stable LSD radix sort of finite or infinite doubles (not NaN), in place, in O(n):
/// what `BucketedSamples` uses for a bucket too large for a comparison sort, such as the
/// bulk of a heavy-tailed sample.
///
/// Each value's key is its IEEE-754 bits with every bit of a negative flipped and only the
/// sign bit of a positive, so unsigned key order is numeric order; −0 is keyed as +0, so
/// equal values keep their input order exactly as the standard library's stable sort leaves
/// them. Values (not keys) move, one pass per 8-bit digit, skipping digits all share.
enum RadixSort {
    static let digitBits = 8
    static let digitCount = 64 / digitBits

    /// The order-preserving key of a value; −0 and +0 share one.
    @inline(__always) static func key(_ x: Double) -> UInt64 {
        let bits = (x + 0).bitPattern  // −0 + 0 is +0
        return bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | 0x8000_0000_0000_0000)
    }

    /// `values` sorted ascending, stably, in a new array.
    static func sorted(_ values: UnsafeBufferPointer<Double>) -> [Double] {
        var copy = Array(values)
        copy.withUnsafeMutableBufferPointer { sort($0) }
        return copy
    }

    /// Sorts `values` ascending, stably.
    static func sort(_ values: UnsafeMutableBufferPointer<Double>) {
        let n = values.count
        guard n > 1, let base = values.baseAddress else { return }
        let radix = 1 << digitBits
        let mask = UInt64(radix - 1)
        var counts = [Int](repeating: 0, count: digitCount * radix)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { scratch.deallocate() }
        counts.withUnsafeMutableBufferPointer { counts in
            for x in values {
                let k = key(x)
                for digit in 0..<digitCount { counts[digit * radix + Int((k >> UInt64(digit * digitBits)) & mask)] += 1 }
            }
            var source = base
            var destination = scratch
            for digit in 0..<digitCount {
                let offset = digit * radix
                let shift = UInt64(digit * digitBits)
                if counts[offset + Int((key(source[0]) >> shift) & mask)] == n { continue }  // one digit for all
                var sum = 0
                for b in offset..<(offset + radix) {
                    let count = counts[b]
                    counts[b] = sum
                    sum += count
                }
                for i in 0..<n {
                    let x = source[i]
                    let b = offset + Int((key(x) >> shift) & mask)
                    destination[counts[b]] = x
                    counts[b] += 1
                }
                swap(&source, &destination)
            }
            if source != base { base.update(from: source, count: n) }
        }
    }
}
