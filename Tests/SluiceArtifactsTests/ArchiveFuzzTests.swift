import Foundation
import SluiceCore
import Testing

@testable import SluiceArtifacts

/// An in-memory tar stream, fed to ``TarReader`` without gzip.
private final class MemoryStream: ArchiveByteStream {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        bytes[offset..<(offset + count)].withUnsafeBytes { buffer.copyMemory(from: $0) }
        offset += count
        return count
    }
}

/// A small deterministic generator (SplitMix64): the same mutations on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body` on a thread of its own (the readers block on file I/O) and returns what it found.
private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

@Suite("archive readers against hostile headers", .timeLimit(.minutes(10)))
struct ArchiveFuzzTests {
    static let limits = ArchiveLimits(maxBytes: 1 << 20, maxEntries: 100)

    @Test("mutated tar headers (sizes, types, checksums, names, pax and GNU records) never escape, crash or hang")
    func tarHeaders() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixtures.path("good-gnu.tar"))))
        let (problems, refused) = try await onThread { () throws -> ([String], Int) in
            var generator = SeededGenerator(state: 15)
            var problems: [String] = []
            var refused = 0
            for round in 0..<200 {
                var bytes = original
                // Mostly header blocks: bytes in the first 512 of some member, and the fields that matter.
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let block = Int.random(in: 0..<(bytes.count / 512), using: &generator) * 512
                    let field = [0, 99, 124, 135, 148, 156, 157, 257, 345, Int.random(in: 0..<512, using: &generator)].randomElement(using: &generator) ?? 0
                    bytes[block + field] = [0, 0x2F, 0x2E, 0x30, 0x37, 0x80, 0xFF, UInt8.random(in: 0...255, using: &generator)]
                        .randomElement(using: &generator) ?? 0
                }
                if round % 10 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator))) }
                let out = fixtures.output("tar-\(round)")
                do {
                    let destination = try ArchiveDestination(path: out, sync: false, archive: "fuzz")
                    _ = try TarReader(MemoryStream(bytes), name: "fuzz", limits: Self.limits).unpack(into: destination)
                } catch let error as ArtifactFetchError {
                    if ![.unsafePath, .badResponse, .tooLarge].contains(error.kind) { problems.append("round \(round): \(error)") }
                    refused += 1
                }
                problems += try Self.escapes(out)
                try FileManager.default.removeItem(atPath: out)
            }
            return (problems, refused)
        }
        #expect(problems.isEmpty, "\(problems)")
        #expect(refused > 0)
    }

    @Test("mutated zip files never escape, crash or hang")
    func zipStructures() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixtures.path("good.zip"))))
        let problems = try await onThread { () throws -> [String] in
            var generator = SeededGenerator(state: 16)
            var problems: [String] = []
            let mutated = fixtures.path("mutated.zip")
            for round in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    // Bias toward the central directory and its end record, where offsets and sizes live.
                    let position = Bool.random(using: &generator)
                        ? Int.random(in: max(0, bytes.count - 300)..<bytes.count, using: &generator) : Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[position] = [0, 0xFF, 0x2F, 0x2E, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator) ?? 0
                }
                try Data(bytes).write(to: URL(fileURLWithPath: mutated))
                let out = fixtures.output("zip-\(round)")
                do {
                    try ArchiveUnpacker.unpack(mutated, format: .zip, into: out, limits: Self.limits, sync: false)
                    problems += try Self.escapes(out)
                    try FileManager.default.removeItem(atPath: out)
                } catch let error as ArtifactFetchError {
                    if ![.unsafePath, .badResponse, .tooLarge, .unsupported].contains(error.kind) { problems.append("round \(round): \(error)") }
                    if FileManager.default.fileExists(atPath: out) { problems.append("round \(round): a refused archive left \(out)") }
                }
            }
            return problems
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// What is not a regular file or directory under `out`, or was written next to it.
    private static func escapes(_ out: String) throws -> [String] {
        var problems: [String] = []
        if FileManager.default.fileExists(atPath: out) {
            let enumerator = FileManager.default.enumerator(atPath: out)
            while let relative = enumerator?.nextObject() as? String {
                let type = try FileManager.default.attributesOfItem(atPath: out + "/" + relative)[.type] as? FileAttributeType
                if type != .typeRegular && type != .typeDirectory { problems.append("\(relative) is \(String(describing: type))") }
            }
        }
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
        if siblings.contains("escape.txt") { problems.append("escape.txt was written next to \(out)") }
        return problems
    }
}
