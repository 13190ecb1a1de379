#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a zip archive from its central directory and unpacks its stored and deflated
/// regular files and directories. All members are checked (paths, types, sizes against the
/// caps) before the first byte is written; each entry's output is bounded by its declared
/// size and verified against its CRC-32.
final class ZipReader {
    private struct Entry {
        var rawName: [UInt8]
        var path: ArchivePath
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int64
        var size: Int64
        var localOffset: Int64
    }

    private let descriptor: Int32
    private let name: String
    private let limits: ArchiveLimits
    private let fileSize: Int64

    init(descriptor: Int32, name: String, limits: ArchiveLimits) throws {
        self.descriptor = descriptor
        self.name = name
        self.limits = limits
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ArtifactFetchError(.io, "cannot read the archive \(name): \(ArchiveDestination.reason())") }
        fileSize = Int64(info.st_size)
    }

    func unpack(into destination: ArchiveDestination) throws -> ArchiveUnpacker.Summary {
        let entries = try centralDirectory()
        var files = 0
        var bytes: Int64 = 0
        for entry in entries {
            if entry.path.isDirectory {
                try destination.makeDirectory(entry.path.components)
            } else {
                try extract(entry, into: destination)
                files += 1
                bytes += entry.size
            }
        }
        return ArchiveUnpacker.Summary(files: files, bytes: bytes)
    }

    // MARK: - Central directory

    private func centralDirectory() throws -> [Entry] {
        let tailLength = Int(min(fileSize, 22 + 0xFFFF))
        let tail = try read(at: fileSize - Int64(tailLength), count: tailLength)
        guard tailLength >= 22,
              let end = stride(from: tailLength - 22, through: 0, by: -1).first(where: { tail.u32($0) == 0x0605_4B50 })
        else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a zip file (no end of central directory)")
        }
        let count = Int(tail.u16(end + 10))
        let directorySize = Int64(tail.u32(end + 12))
        let directoryOffset = Int64(tail.u32(end + 16))
        if tail.u16(end + 4) != 0 || tail.u16(end + 6) != 0 || Int(tail.u16(end + 8)) != count {
            throw ArtifactFetchError(.unsupported, "the archive \(name) spans several disks, which is not supported")
        }
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw ArtifactFetchError(.unsupported, "the archive \(name) is a zip64 file (over 4 GiB or 65535 members), which is not supported yet; use .tar.gz")
        }
        guard count <= limits.maxEntries else {
            throw ArtifactFetchError(.tooLarge, "the archive \(name) holds \(count) members (at most \(limits.maxEntries)); refused as a possible archive bomb")
        }
        let endOffset = fileSize - Int64(tailLength) + Int64(end)
        guard directoryOffset + directorySize <= endOffset else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (its central directory lies outside the file)")
        }
        let directory = try read(at: directoryOffset, count: Int(directorySize))
        var entries: [Entry] = []
        var offset = 0
        var total: Int64 = 0
        for _ in 0..<count {
            guard offset + 46 <= directory.count, directory.u32(offset) == 0x0201_4B50 else {
                throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (a central directory entry is damaged)")
            }
            let nameLength = Int(directory.u16(offset + 28))
            let recordLength = 46 + nameLength + Int(directory.u16(offset + 30)) + Int(directory.u16(offset + 32))
            guard offset + recordLength <= directory.count else {
                throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (a central directory entry is cut)")
            }
            let entry = try self.entry(Array(directory[offset..<(offset + recordLength)]), nameLength: nameLength)
            offset += recordLength
            guard let entry else { continue }
            total += entry.size
            guard total <= limits.maxBytes else {
                throw ArtifactFetchError(.tooLarge, "the archive \(name) unpacks to more than \(limits.maxBytes) bytes; refused as a possible archive bomb")
            }
            entries.append(entry)
        }
        return entries
    }

    /// One central directory record, checked; nil for the archive's root (`./`).
    private func entry(_ record: [UInt8], nameLength: Int) throws -> Entry? {
        let rawName = Array(record[46..<(46 + nameLength)])
        let display = String(decoding: rawName, as: UTF8.self)
        guard var path = try ArchivePath.checked(rawName, archive: name) else { return nil }
        let host = record.u16(4) >> 8
        let flags = record.u16(8)
        let method = record.u16(10)
        let compressedSize = record.u32(20)
        let size = record.u32(24)
        let mode = record.u32(38) >> 16
        if host == 3 {  // Unix: the external attributes' high half is st_mode
            switch mode & 0o170000 {
            case 0, 0o100000: break
            case 0o040000: path.isDirectory = true
            case 0o120000: throw ArchivePath.refused(display, name, "is a symbolic link, not a regular file or directory")
            default: throw ArchivePath.refused(display, name, "is a device, FIFO or socket, not a regular file or directory")
            }
        }
        if flags & 1 != 0 { throw ArtifactFetchError(.unsupported, "the archive \(name) has encrypted member '\(ArtifactFetchError.printable(display))'; encrypted zips are not supported") }
        if compressedSize == 0xFFFF_FFFF || size == 0xFFFF_FFFF || record.u32(42) == 0xFFFF_FFFF {
            throw ArtifactFetchError(.unsupported, "the archive \(name) is a zip64 file (a member over 4 GiB), which is not supported yet; use .tar.gz")
        }
        if path.isDirectory {
            guard size == 0 else { throw ArchivePath.refused(display, name, "is a directory with content") }
        } else if method != 0 && method != 8 {
            throw ArtifactFetchError(.unsupported, "the archive \(name) stores member '\(ArtifactFetchError.printable(display))' with compression method \(method); only stored and deflate are supported")
        }
        return Entry(
            rawName: rawName, path: path, method: method, crc: record.u32(16), compressedSize: Int64(compressedSize), size: Int64(size),
            localOffset: Int64(record.u32(42)))
    }

    // MARK: - Entries

    private func extract(_ entry: Entry, into destination: ArchiveDestination) throws {
        let display = ArtifactFetchError.printable(String(decoding: entry.rawName, as: UTF8.self))
        let local = try read(at: entry.localOffset, count: 30)
        guard local.count == 30, local.u32(0) == 0x0403_4B50 else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (member '\(display)' has no local header)")
        }
        let nameLength = Int(local.u16(26))
        let start = entry.localOffset + 30 + Int64(nameLength) + Int64(local.u16(28))
        guard try read(at: entry.localOffset + 30, count: nameLength) == entry.rawName else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (member '\(display)' is named differently in its local header)")
        }
        guard start + entry.compressedSize <= fileSize else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (member '\(display)' lies past its end)")
        }
        if entry.method == 0, entry.compressedSize != entry.size {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (stored member '\(display)' has two sizes)")
        }
        let range = ArchiveFileRange(descriptor: descriptor, offset: start, end: start + entry.compressedSize)
        let input: any ArchiveByteStream
        if entry.method == 8 {
            input = try ArchiveInflater(range, format: .rawDeflate, name: name)
        } else {
            input = range
        }
        let writer = try destination.createFile(entry.path.components)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { chunk.deallocate() }
        var crc = ArchiveCRC32()
        var written: Int64 = 0
        while true {
            // One byte more than declared may be asked for: a member that inflates past its
            // declared size is refused rather than written (a bomb lying in its directory).
            let wanted = Int(min(Int64(chunk.count), entry.size - written + 1))
            let count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<wanted]))
            if count == 0 { break }
            written += Int64(count)
            guard written <= entry.size else {
                throw ArtifactFetchError(.badResponse, "the archive \(name) has member '\(display)' that inflates past its declared \(entry.size) bytes; refused")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
            crc.update(bytes)
            try writer.write(bytes)
        }
        guard written == entry.size else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) has member '\(display)' of \(written) bytes where \(entry.size) were declared (truncated)")
        }
        guard UInt32(truncatingIfNeeded: crc.value) == entry.crc else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) has member '\(display)' whose CRC-32 does not match (corrupt)")
        }
        try writer.finish()
    }

    private func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset + Int64(count) <= fileSize else {
            throw ArtifactFetchError(.badResponse, "the archive \(name) is not a valid zip file (an offset lies past its end)")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        let range = ArchiveFileRange(descriptor: descriptor, offset: offset, end: offset + Int64(count))
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let read = try range.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                guard read > 0 else { break }
                done += read
            }
        }
        guard done == count else { throw ArtifactFetchError(.badResponse, "the archive \(name) ends early") }
        return bytes
    }
}

extension [UInt8] {
    /// Little-endian integers at `offset` (the caller checked the bounds).
    fileprivate func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    fileprivate func u32(_ offset: Int) -> UInt32 { UInt32(u16(offset)) | UInt32(u16(offset + 2)) << 16 }
}
