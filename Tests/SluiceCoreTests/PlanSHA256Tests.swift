import SluiceCore
import Testing

/// The FIPS 180-4 / NIST test vectors.
@Suite struct PlanSHA256Tests {
    @Test func emptyMessage() {
        #expect(SHA256.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"  // 448 bits
        #expect(SHA256.hexDigest(of: Array(message.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func oneMillionA() {
        #expect(
            SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding bytes in uneven pieces gives the same digest as one call.
    @Test func streamingMatchesOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        var index = 0
        for size in [0, 1, 63, 64, 65, 7, 200, 128] where index < bytes.count {
            let end = min(bytes.count, index + size)
            hasher.update(Array(bytes[index..<end]))
            index = end
        }
        hasher.update(Array(bytes[index...]))
        #expect(SHA256.hex(hasher.finalize()) == SHA256.hexDigest(of: bytes))
    }

    /// Lengths around the padding boundary (55, 56, 63, 64 bytes) take one or two final blocks.
    @Test func paddingBoundaries() {
        let expected = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        ]
        for (length, digest) in expected {
            #expect(SHA256.hexDigest(of: [UInt8](repeating: 0x61, count: length)) == digest, "length \(length)")
        }
    }
}
