import Crypto
import Foundation

extension ManifestIndex {
    /// A loaded index: the file's bytes, checked whole, and where each entry starts. A lookup
    /// is a binary search over the entries' path bytes; only the entry found is decoded.
    public struct Contents: Sendable {
        private let bytes: [UInt8]
        private let starts: [Int]

        /// How many entries the index holds.
        public var count: Int { starts.count }

        /// The summary of `path` as it was in `blob`, if the index holds it.
        public func summary(path: String, blob: BlobID) -> ManifestSummary? {
            var path = path
            return path.withUTF8 { wanted -> ManifestSummary? in
                bytes.withUnsafeBufferPointer { buffer -> ManifestSummary? in
                    var low = 0, high = starts.count
                    while low < high {
                        let middle = (low + high) / 2
                        if Self.compare(Self.path(at: starts[middle], in: buffer), wanted) < 0 { low = middle + 1 } else { high = middle }
                    }
                    var index = low
                    while index < starts.count, Self.compare(Self.path(at: starts[index], in: buffer), wanted) == 0 {
                        if Self.blob(at: starts[index], in: buffer, equals: blob) { return Self.summary(at: starts[index], in: buffer) }
                        index += 1
                    }
                    return nil
                }
            }
        }

        /// Every entry, decoded.
        public var summaries: [IndexKey: ManifestSummary] {
            bytes.withUnsafeBufferPointer { buffer in
                var out: [IndexKey: ManifestSummary] = [:]
                for start in starts {
                    guard let path = String(validating: Self.path(at: start, in: buffer), as: UTF8.self) else { continue }
                    let hex = buffer[start..<(start + 20)].map { String(format: "%02x", $0) }.joined()
                    out[IndexKey(path: path, blob: BlobID(hex: hex))] = Self.summary(at: start, in: buffer)
                }
                return out
            }
        }

        // MARK: - entries where they lie

        private static let entryHeader = 25  // blob id, flags, path length, name count

        private static func uint16(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
            Int(buffer[at]) | Int(buffer[at + 1]) << 8
        }

        private static func uint32(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
            Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
        }

        private static func path(at start: Int, in buffer: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: buffer[(start + entryHeader)..<(start + entryHeader + uint16(buffer, start + 21))])
        }

        private static func blob(at start: Int, in buffer: UnsafeBufferPointer<UInt8>, equals blob: BlobID) -> Bool {
            var hex = blob.hex
            return hex.withUTF8 { digits in
                guard digits.count == 40 else { return false }
                for index in 0..<20 {
                    guard let high = ManifestIndex.hexValue(digits[2 * index]), let low = ManifestIndex.hexValue(digits[2 * index + 1]),
                        buffer[start + index] == high << 4 | low
                    else { return false }
                }
                return true
            }
        }

        private static func summary(at start: Int, in buffer: UnsafeBufferPointer<UInt8>) -> ManifestSummary {
            let nameCount = uint16(buffer, start + 23)
            var position = start + entryHeader + uint16(buffer, start + 21)
            var names: [String] = []
            names.reserveCapacity(nameCount)
            for _ in 0..<nameCount {
                let length = uint16(buffer, position)
                names.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[(position + 2)..<(position + 2 + length)]), as: UTF8.self))
                position += 2 + length
            }
            return ManifestSummary(names: names, isValid: buffer[start + 20] & 1 == 1)
        }

        /// memcmp order, shorter first on a common prefix.
        private static func compare(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Int {
            let common = min(left.count, right.count)
            if common > 0, let l = left.baseAddress, let r = right.baseAddress {
                let result = memcmp(l, r, common)
                if result != 0 { return Int(result) }
            }
            return left.count - right.count
        }

        // MARK: - parsing

        /// Checks a whole file: magic, version (before the checksum, so another version says
        /// so), SHA-256, fingerprint, then every entry's bounds, flags, UTF-8 names and order.
        /// A count or length that points past the end is corruption, never an allocation.
        static func parse(_ bytes: [UInt8], fingerprint: String) -> Result<Contents, Rejection> {
            let trailer = 32
            let fixed = ManifestIndex.magic.count + 4 + 4 + 4
            if bytes.starts(with: ManifestIndex.textMagic) { return .failure(.otherFormat) }
            guard bytes.count >= fixed + trailer, bytes.starts(with: ManifestIndex.magic) else { return .failure(.corrupt) }
            return bytes.withUnsafeBufferPointer { buffer -> Result<Contents, Rejection> in
                guard uint32(buffer, 8) == Int(ManifestIndex.formatVersion) else { return .failure(.otherFormat) }
                let bodyEnd = buffer.count - trailer
                let digest = SHA256.hash(data: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[..<bodyEnd])))
                guard digest.elementsEqual(buffer[bodyEnd...]) else { return .failure(.corrupt) }
                let fingerprintLength = uint32(buffer, 12)
                guard fingerprintLength <= bodyEnd - fixed else { return .failure(.corrupt) }
                guard buffer[16..<(16 + fingerprintLength)].elementsEqual(fingerprint.utf8) else { return .failure(.otherValidator) }
                var position = 16 + fingerprintLength
                let count = uint32(buffer, position)
                position += 4
                guard count <= (bodyEnd - position) / entryHeader else { return .failure(.corrupt) }
                var starts: [Int] = []
                starts.reserveCapacity(count)
                var previous: Int?
                for _ in 0..<count {
                    guard bodyEnd - position >= entryHeader, buffer[position + 20] <= 1 else { return .failure(.corrupt) }
                    let start = position
                    let pathLength = uint16(buffer, start + 21)
                    position += entryHeader
                    guard pathLength > 0, bodyEnd - position >= pathLength else { return .failure(.corrupt) }
                    position += pathLength
                    for _ in 0..<uint16(buffer, start + 23) {
                        guard bodyEnd - position >= 2 else { return .failure(.corrupt) }
                        let length = uint16(buffer, position)
                        position += 2
                        guard bodyEnd - position >= length,
                            String(validating: UnsafeBufferPointer(rebasing: buffer[position..<(position + length)]), as: UTF8.self) != nil
                        else { return .failure(.corrupt) }
                        position += length
                    }
                    if let previous {
                        let order = compare(path(at: previous, in: buffer), path(at: start, in: buffer))
                        let ascending = order < 0 || (order == 0 && buffer[previous..<(previous + 20)].lexicographicallyPrecedes(buffer[start..<(start + 20)]))
                        guard ascending else { return .failure(.corrupt) }
                    }
                    previous = start
                    starts.append(start)
                }
                guard position == bodyEnd else { return .failure(.corrupt) }
                return .success(Contents(bytes: bytes, starts: starts))
            }
        }
    }
}
