/// Reads a tar stream (ustar, GNU `L` long names, pax `x` records) and unpacks its regular
/// files and directories; any other member type is refused. Every header is hostile: its
/// checksum is verified, numbers are parsed strictly (octal or GNU base-256), metadata
/// members are size-capped, and paths go through ``ArchivePath``.
final class TarReader {
    private static let block = 512
    /// The largest pax header or GNU long name read (a path is at most 4096 bytes anyway).
    private static let maximumMetadataBytes = 1 << 20

    private let stream: any ArchiveByteStream
    private let name: String
    private let limits: ArchiveLimits
    private let chunk: UnsafeMutableRawBufferPointer
    private var entries = 0
    private var files = 0
    private var bytes: Int64 = 0

    init(_ stream: any ArchiveByteStream, name: String, limits: ArchiveLimits) {
        self.stream = stream
        self.name = name
        self.limits = limits
        chunk = .allocate(byteCount: 64 << 10, alignment: 16)
    }

    deinit { chunk.deallocate() }

    /// Metadata carried to the next member by `L` and `x` headers.
    private struct Pending {
        var path: [UInt8]?
        var size: Int64?
    }

    func unpack(into destination: ArchiveDestination) throws -> ArchiveUnpacker.Summary {
        var pending = Pending()
        while true {
            guard let header = try readHeader() else { break }
            entries += 1
            guard entries <= limits.maxEntries else {
                throw ArtifactFetchError(.tooLarge, "the archive \(name) holds more than \(limits.maxEntries) members; refused as a possible archive bomb")
            }
            let type = header[156]
            var size = try number(header, 124, 12)
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "K"):
                guard size <= Self.maximumMetadataBytes else {
                    throw ArtifactFetchError(.badResponse, "the archive \(name) has a metadata header of \(size) bytes (at most \(Self.maximumMetadataBytes)); refused")
                }
                let content = try readContent(Int(size))
                if type == UInt8(ascii: "L") {
                    pending.path = Array(content.prefix { $0 != 0 })
                } else if type == UInt8(ascii: "x") {
                    try applyPax(content, to: &pending)
                }
                continue  // `g` (global) and `K` (a long link name) change nothing unpacked.
            default:
                break
            }
            let rawPath = pending.path ?? headerPath(header)
            if let override = pending.size { size = override }
            pending = Pending()
            let display = String(decoding: rawPath, as: UTF8.self)
            guard let path = try ArchivePath.checked(rawPath, archive: name) else {
                try skip(size)  // `./` itself: the root, which exists
                continue
            }
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                if path.isDirectory {
                    guard size == 0 else { throw ArchivePath.refused(display, name, "is a directory with content") }
                    try destination.makeDirectory(path.components)
                } else {
                    try extract(path, size: size, display: display, into: destination)
                }
            case UInt8(ascii: "5"):
                try destination.makeDirectory(path.components)
                try skip(size)
            default:
                throw ArchivePath.refused(display, name, "is \(Self.describe(type)), not a regular file or directory")
            }
        }
        return ArchiveUnpacker.Summary(files: files, bytes: bytes)
    }

    static func describe(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): return "a hard link"
        case UInt8(ascii: "2"): return "a symbolic link"
        case UInt8(ascii: "3"): return "a character device"
        case UInt8(ascii: "4"): return "a block device"
        case UInt8(ascii: "6"): return "a FIFO"
        case 0x21...0x7E: return "of type '\(Character(Unicode.Scalar(type)))'"
        default: return "of type \(type)"
        }
    }

    // MARK: - Members

    private func extract(_ path: ArchivePath, size: Int64, display: String, into destination: ArchiveDestination) throws {
        let (total, overflow) = bytes.addingReportingOverflow(size)
        guard !overflow, total <= limits.maxBytes else {
            throw ArtifactFetchError(.tooLarge, "the archive \(name) unpacks to more than \(limits.maxBytes) bytes (at member '\(ArtifactFetchError.printable(display))'); refused as a possible archive bomb")
        }
        let writer = try destination.createFile(path.components)
        var left = size
        while left > 0 {
            let wanted = Int(min(Int64(chunk.count), left))
            try readExactly(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]))
            try writer.write(UnsafeRawBufferPointer(rebasing: chunk[0..<wanted]))
            left -= Int64(wanted)
        }
        try writer.finish()
        try skipPadding(size)
        bytes = total
        files += 1
    }

    /// The ustar name, with the `prefix` field in front for POSIX ustar (GNU tar uses those
    /// bytes for other things, so only the `ustar\0` magic means a prefix).
    private func headerPath(_ header: [UInt8]) -> [UInt8] {
        let name = Self.field(header, 0, 100)
        guard header[257..<263].elementsEqual("ustar\0".utf8) else { return name }
        let prefix = Self.field(header, 345, 155)
        return prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
    }

    /// pax records `LEN KEY=VALUE\n`: `path` and `size` are kept, the others ignored.
    private func applyPax(_ content: [UInt8], to pending: inout Pending) throws {
        var index = 0
        while index < content.count {
            if content[index] == 0 { break }  // NUL padding after the last record
            guard let space = content[index...].firstIndex(of: UInt8(ascii: " ")), space - index <= 8,
                  let length = Int(String(decoding: content[index..<space], as: UTF8.self)), length > space - index + 1,
                  index + length <= content.count, content[index + length - 1] == UInt8(ascii: "\n"),
                  let equals = content[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "="))
            else {
                throw ArtifactFetchError(.badResponse, "the archive \(name) has a malformed pax header")
            }
            let key = String(decoding: content[(space + 1)..<equals], as: UTF8.self)
            let value = Array(content[(equals + 1)..<(index + length - 1)])
            switch key {
            case "path":
                pending.path = value
            case "size":
                guard !value.isEmpty, value.count <= 19, value.allSatisfy({ (0x30...0x39).contains($0) }),
                      let size = Int64(String(decoding: value, as: UTF8.self))
                else {
                    throw ArtifactFetchError(.badResponse, "the archive \(name) has a pax size that is not a decimal number")
                }
                pending.size = size
            default:
                break
            }
            index += length
        }
    }

    // MARK: - Headers and numbers

    /// The next header, or nil at the end (a zero block, or the stream's end between members).
    private func readHeader() throws -> [UInt8]? {
        var header = [UInt8](repeating: 0, count: Self.block)
        let count = try header.withUnsafeMutableBytes { try readUpTo($0) }
        if count == 0 { return nil }
        guard count == Self.block else { throw truncated() }
        if header.allSatisfy({ $0 == 0 }) { return nil }
        let stored = try number(header, 148, 8)
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid tar.gz: a header's checksum does not match (member \(entries + 1))")
        }
        return header
    }

    /// A numeric field: octal digits (leading spaces, ending at a space or NUL), or GNU's
    /// base-256 (high bit set) for values too large for octal. Never negative.
    private func number(_ header: [UInt8], _ offset: Int, _ length: Int) throws -> Int64 {
        let bytes = header[offset..<(offset + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            guard first == 0x80 else { throw badNumber() }  // 0xFF: negative; others: too large
            var value: Int64 = 0
            for byte in bytes.dropFirst() {
                guard value <= (Int64.max >> 8) else { throw badNumber() }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        let space = UInt8(ascii: " ")
        var index = bytes.startIndex
        while index < bytes.endIndex, bytes[index] == space { index += 1 }
        var value: Int64 = 0
        while index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]) {
            guard value <= (Int64.max >> 3) else { throw badNumber() }
            value = value << 3 | Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        // After the digits, only spaces and NULs.
        guard bytes[index...].allSatisfy({ $0 == 0 || $0 == space }) else { throw badNumber() }
        return value
    }

    private func badNumber() -> ArtifactFetchError {
        ArtifactFetchError(.badResponse, "the archive \(name) is not a valid tar.gz: a header holds an invalid number (member \(entries + 1))")
    }

    private func truncated() -> ArtifactFetchError {
        ArtifactFetchError(.badResponse, "the archive \(name) ends in the middle of a member (truncated)")
    }

    /// `length` bytes at `offset`, up to the first NUL.
    private static func field(_ header: [UInt8], _ offset: Int, _ length: Int) -> [UInt8] {
        Array(header[offset..<(offset + length)].prefix { $0 != 0 })
    }

    // MARK: - Reading

    private func readContent(_ size: Int) throws -> [UInt8] {
        var content = [UInt8](repeating: 0, count: size)
        try content.withUnsafeMutableBytes { try readExactly($0) }
        try skipPadding(Int64(size))
        return content
    }

    private func skip(_ size: Int64) throws {
        var left = size
        while left > 0 {
            let wanted = Int(min(Int64(chunk.count), left))
            try readExactly(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]))
            left -= Int64(wanted)
        }
        try skipPadding(size)
    }

    private func skipPadding(_ size: Int64) throws {
        let padding = Int((Int64(Self.block) - size % Int64(Self.block)) % Int64(Self.block))
        if padding > 0 { try readExactly(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<padding])) }
    }

    private func readExactly(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard try readUpTo(buffer) == buffer.count else { throw truncated() }
    }

    /// Fills `buffer` unless the stream ends first; returns how much was read.
    private func readUpTo(_ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if count == 0 { break }
            done += count
        }
        return done
    }
}
