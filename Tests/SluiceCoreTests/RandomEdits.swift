/// Random edits of a document, for the readers' tests that compare two readings of each
/// edited one: one to three bytes removed, inserted or replaced at random places, the new
/// bytes drawn from `alphabet`.
enum RandomEdits {
    static func edit(_ document: [UInt8], alphabet: [UInt8], _ random: inout SplitMix) -> [UInt8] {
        var bytes = document
        for _ in 0..<(1 + random.next() % 3) {
            let position = Int(random.next() % UInt64(bytes.count))
            let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
            switch random.next() % 3 {
            case 0: bytes.remove(at: position)
            case 1: bytes.insert(byte, at: position)
            default: bytes[position] = byte
            }
            if bytes.isEmpty { break }
        }
        return bytes
    }
}
