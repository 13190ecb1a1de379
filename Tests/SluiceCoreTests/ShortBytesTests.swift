import SluiceCore
import Testing

/// Short runs read as words (``ShortBytes``) answer what a byte-by-byte reading answers, at
/// every length and with the run at every alignment.
struct ShortBytesTests {
    @Test("a word holds exactly the run's bytes, little-endian, zeros after them")
    func words() {
        let bytes: [UInt8] = (0..<24).map { UInt8(0xA0 &+ $0) }
        bytes.withUnsafeBytes { raw in
            for start in 0..<8 {
                for count in 0...8 {
                    var expected: UInt64 = 0
                    for offset in 0..<count { expected |= UInt64(bytes[start + offset]) << UInt64(8 * offset) }
                    #expect(ShortBytes.word(raw.baseAddress! + start, count: count) == expected, "\(count) bytes at \(start)")
                }
            }
        }
    }

    @Test("runs are the same exactly when every byte is, at every length to 20 and every place they differ")
    func sameRuns() {
        for count in 0...20 {
            let text: [UInt8] = (0..<count).map { UInt8(65 + $0) }
            for differing in -1..<count {
                var other = text
                if differing >= 0 { other[differing] ^= 0x20 }
                let same = text.withUnsafeBufferPointer { left in other.withUnsafeBufferPointer { ShortBytes.same(left, $0) } }
                #expect(same == (differing < 0), "\(count) bytes, differing at \(differing)")
            }
            let longer = text + [0]
            #expect(!text.withUnsafeBufferPointer { left in longer.withUnsafeBufferPointer { ShortBytes.same(left, $0) } })
        }
    }

    @Test("a byte is found in a word exactly when it is there, zero padding included")
    func findsByte() {
        for place in 0..<8 {
            for byte: UInt8 in [0x00, 0x01, 0x5C, 0x7F, 0x80, 0xFF] {
                var lanes = [UInt8](repeating: byte == 0x41 ? 0x42 : 0x41, count: 8)
                lanes[place] = byte
                let word = lanes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(ShortBytes.has(byte, in: UInt64(littleEndian: word)), "\(byte) at \(place)")
                #expect(!ShortBytes.has(0x5C, in: UInt64(littleEndian: word)) || byte == 0x5C)
            }
        }
        // A short run's padding zeros match a zero byte only.
        #expect(ShortBytes.has(0, in: 0x4141))
        #expect(!ShortBytes.has(0x5C, in: 0x4141))
    }
}
