@testable import SluiceServe

/// Random edits of a message, for the parsers' tests that read each edited message at once
/// and in pieces: one to four bytes inserted, removed or replaced at random places, the new
/// bytes drawn from `alphabet`.
enum RandomEdits {
    /// One of `seeds`, edited.
    static func edit(oneOf seeds: [[UInt8]], alphabet: [UInt8], _ generator: inout SplitMix64) -> [UInt8] {
        var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
        for _ in 0..<(1 + Int(generator.next() % 4)) {
            let position = Int(generator.next() % UInt64(bytes.count + 1))
            let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            switch generator.next() % 3 {
            case 0: bytes.insert(byte, at: position)
            case 1 where position < bytes.count: bytes.remove(at: position)
            default: if position < bytes.count { bytes[position] = byte }
            }
        }
        return bytes
    }
}
