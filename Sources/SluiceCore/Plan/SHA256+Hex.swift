import Crypto

extension Crypto.SHA256 {
    /// The SHA-256 of `bytes` in lowercase hex (64 digits): the form of spec digests
    /// (`sha256:…`) and of cache directory names, which state directories keep.
    public static func hexDigest(of bytes: [UInt8]) -> String {
        hash(data: bytes).hex
    }
}

extension Crypto.Digest {
    /// The digest in lowercase hex, two digits a byte.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Self.byteCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
