import Foundation
import SluiceCore
import Testing

@testable import SluiceArtifacts

@Suite("archive unpacking: tar.gz and zip, safe by construction", .timeLimit(.minutes(10)))
struct ArchiveUnpackerTests {
    static let limits = ArchiveLimits(maxBytes: 1 << 20, maxEntries: 100)

    @Test("GNU and pax tar.gz unpack regular files and directories, long names included, 0600/0700")
    func tarGzip() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        for name in ["good-gnu.tar.gz", "good-pax.tar.gz"] {
            let out = fixtures.output(name)
            let summary = try await ArchiveUnpacker.unpackDetached(fixtures.path(name), format: .tarGzip, into: out, limits: Self.limits, sync: false)
            #expect(summary.files == 4, "\(name)")
            #expect(summary.bytes == 9 + 256 * 300 + 5)
            try expectGoodTree(out, long: true)
        }
    }

    @Test("zip unpacks stored and deflated members with their CRC-32 checked")
    func zip() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        let out = fixtures.output()
        let summary = try await ArchiveUnpacker.unpackDetached(fixtures.path("good.zip"), format: .zip, into: out, limits: Self.limits, sync: false)
        #expect(summary.files == 3)
        try expectGoodTree(out, long: false)
        #expect(try String(contentsOfFile: out + "/top.txt", encoding: .utf8) == "top\n")
        let stored = fixtures.output()
        try await ArchiveUnpacker.unpackDetached(fixtures.path("stored.zip"), format: .zip, into: stored, limits: Self.limits)
        #expect(try String(contentsOfFile: stored + "/a.txt", encoding: .utf8) == "stored bytes\n")
    }

    static let hostileCases = [
            ("escape.tar.gz", "../escape.txt"), ("nested-escape.tar.gz", "a/../../escape.txt"),
            ("absolute.tar.gz", "/tmp/sluice-absolute-evil.txt"), ("symlink.tar.gz", "symbolic link"),
            ("symlink-then-write.tar.gz", "symbolic link"), ("hardlink.tar.gz", "hard link"), ("device.tar.gz", "character device"),
            ("fifo.tar.gz", "FIFO"), ("duplicate.tar.gz", "twice"), ("too-long.tar.gz", "longer than 4096 bytes"),
            ("pax-escape.tar.gz", "climbs out"), ("escape.zip", "../escape.txt"), ("absolute.zip", "is absolute"),
            ("symlink.zip", "symbolic link"),
        ]

    @Test("hostile members are refused as unsafePath, naming the member; nothing is left behind")
    func hostile() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        for (name, named) in Self.hostileCases {
            let out = fixtures.output()
            let format: ArchiveFormat = name.hasSuffix(".zip") ? .zip : .tarGzip
            let error = try await #require(throws: ArtifactFetchError.self) {
                try await ArchiveUnpacker.unpackDetached(fixtures.path(name), format: format, into: out, limits: Self.limits, name: "https://example.com/m?REDACTED")
            }
            #expect(error.kind == .unsafePath, "\(name): \(error)")
            #expect(error.message.contains(named), "\(error)")
            #expect(error.message.contains("https://example.com/m?REDACTED"))
            #expect(!FileManager.default.fileExists(atPath: out), "a refused archive leaves nothing")
            #expect(!FileManager.default.fileExists(atPath: fixtures.directory.appendingPathComponent("escape.txt").path))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/sluice-absolute-evil.txt"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.txt"))
        }
    }

    @Test("bombs beyond the caps are refused as tooLarge before they fill the disk")
    func bombs() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        for (name, reason) in [("bomb-bytes.tar.gz", "more than 1048576 bytes"), ("bomb-entries.tar.gz", "more than 100 members"), ("bomb.zip", "more than 1048576 bytes")] {
            let out = fixtures.output()
            let error = try await #require(throws: ArtifactFetchError.self) {
                try await ArchiveUnpacker.unpackDetached(fixtures.path(name), format: name.hasSuffix(".zip") ? .zip : .tarGzip, into: out, limits: Self.limits)
            }
            #expect(error.kind == .tooLarge, "\(name): \(error)")
            #expect(error.message.contains(reason), "\(error)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("damaged archives are badResponse: truncated gzip, a zip member inflating past its size, a bad CRC")
    func damaged() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        for (name, reason) in [("truncated.tar.gz", "truncated"), ("liar.zip", "inflates past"), ("bad-crc.zip", "CRC-32")] {
            let out = fixtures.output()
            let error = try await #require(throws: ArtifactFetchError.self) {
                try await ArchiveUnpacker.unpackDetached(fixtures.path(name), format: name.hasSuffix(".zip") ? .zip : .tarGzip, into: out, limits: Self.limits)
            }
            #expect(error.kind == .badResponse, "\(name): \(error)")
            #expect(error.message.contains(reason), "\(error)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("a directory that is not empty is refused")
    func notEmpty() async throws {
        let fixtures = try await ArchiveFixtures.make()
        defer { fixtures.remove() }
        let out = fixtures.output()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/existing"))
        let error = try await #require(throws: ArtifactFetchError.self) {
            try await ArchiveUnpacker.unpackDetached(fixtures.path("good.zip"), format: .zip, into: out, limits: Self.limits)
        }
        #expect(error.kind == .io)
    }

    /// The tree both good archives hold.
    private func expectGoodTree(_ out: String, long: Bool) throws {
        #expect(try String(contentsOfFile: out + "/model/config.json", encoding: .utf8) == "{\"a\": 1}\n")
        let weights = try Data(contentsOf: URL(fileURLWithPath: out + "/model/weights.bin"))
        #expect(weights == Data((0..<300).flatMap { _ in (0...255).map(UInt8.init) }))
        let attributes = try FileManager.default.attributesOfItem(atPath: out + "/model/weights.bin")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: out + "/model")
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        if long {
            #expect(try String(contentsOfFile: out + "/" + ArchiveFixtures.longName, encoding: .utf8) == "long\n")
            #expect(FileManager.default.fileExists(atPath: out + "/empty.txt"))
        }
    }
}
