import Foundation
import SluiceCore
@testable import SluiceGit
import SluiceTestSupport
import Testing

/// The on-disk manifest index: what it stores, what it refuses to trust, and a reader that
/// plans from it reading only what the change needs.
@Suite(.timeLimit(.minutes(10))) struct ManifestIndexTests {
    let blob = BlobID(hex: String(repeating: "ab", count: 20))

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("hostile paths and names (tab, newline, %, 0x1F, non-ASCII) come back exactly")
    func roundTrip() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = ManifestIndex(file: directory.appendingPathComponent("index"), fingerprint: "build 1; limits\t%x")
        let entries: [ManifestIndex.IndexKey: ManifestSummary] = [
            .init(path: "manifests/a\tb\nc%41.yaml", blob: blob): ManifestSummary(names: ["fraud", "x\u{1F}y", "%zz", "é\n"], isValid: true),
            .init(path: "manifests/bad.yaml", blob: BlobID(hex: String(repeating: "01", count: 20))): ManifestSummary(names: [], isValid: false),
        ]
        try index.save(entries)
        let loaded = try index.load().get()
        #expect(loaded.summaries == entries)
        #expect(loaded.count == 2)
        for (key, summary) in entries { #expect(loaded.summary(path: key.path, blob: key.blob) == summary) }
        #expect(loaded.summary(path: "manifests/bad.yaml", blob: blob) == nil, "same path, another blob")
        #expect(loaded.summary(path: "manifests/bad.yam", blob: BlobID(hex: String(repeating: "01", count: 20))) == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path)[.posixPermissions] as? Int
        #expect(mode != nil)
    }

    @Test("a missing, truncated, corrupted, other-version or other-build index is not used, and says why")
    func rejections() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("index")
        let index = ManifestIndex(file: file, fingerprint: "build 1")
        #expect(throws: ManifestIndex.Rejection.missing) { try index.load().get() }
        try index.save([.init(path: "manifests/a.yaml", blob: blob): ManifestSummary(names: ["a"], isValid: true)])
        let good = try Data(contentsOf: file)

        try good.prefix(good.count - 10).write(to: file)
        #expect(throws: ManifestIndex.Rejection.corrupt) { try index.load().get() }

        var flipped = good
        flipped[header(fingerprint: "build 1") + 20] ^= 1  // "valid" turned "invalid": the checksum no longer matches
        try flipped.write(to: file)
        #expect(throws: ManifestIndex.Rejection.corrupt) { try index.load().get() }

        try Data((0..<4096).map { _ in UInt8.random(in: 0...255) }).write(to: file)
        #expect(throws: ManifestIndex.Rejection.corrupt) { try index.load().get() }

        var later = good
        later[8] = 7  // the version, read before the checksum
        try later.write(to: file)
        #expect(throws: ManifestIndex.Rejection.otherFormat) { try index.load().get() }

        // Version 1 was text; an index left by the previous release says which it is.
        try Data("sluice-manifest-index 1\nfingerprint build 1\nsha256 00\n".utf8).write(to: file)
        #expect(throws: ManifestIndex.Rejection.otherFormat) { try index.load().get() }

        try good.write(to: file)
        #expect(throws: ManifestIndex.Rejection.otherValidator) { try ManifestIndex(file: file, fingerprint: "build 2").load().get() }
        #expect(try index.load().get().count == 1)
    }

    /// Where the first entry starts in a file written with `fingerprint`.
    func header(fingerprint: String) -> Int { 8 + 4 + 4 + fingerprint.utf8.count + 4 }

    @Test("hostile files with a valid checksum (huge counts and lengths, bad flags, bad UTF-8, disorder, trailing bytes) are corrupt, never a crash")
    func hostileFiles() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("index")
        let index = ManifestIndex(file: file, fingerprint: "fp")
        try index.save([
            .init(path: "manifests/a.yaml", blob: blob): ManifestSummary(names: ["a"], isValid: true),
            .init(path: "manifests/b.yaml", blob: blob): ManifestSummary(names: ["b", "c"], isValid: true),
        ])
        let body = Array(try Data(contentsOf: file).dropLast(32))
        let first = header(fingerprint: "fp")
        let second = first + 25 + "manifests/a.yaml".utf8.count + 2 + 1
        func patched(_ at: Int, _ bytes: [UInt8]) -> [UInt8] {
            var copy = body
            copy.replaceSubrange(at..<(at + bytes.count), with: bytes)
            return copy
        }
        let cases: [(String, [UInt8])] = [
            ("an entry count of 4 billion", patched(first - 4, [0xFF, 0xFF, 0xFF, 0xFF])),
            ("one entry more than there is", patched(first - 4, [3, 0, 0, 0])),
            ("one entry fewer than there is (trailing bytes)", patched(first - 4, [1, 0, 0, 0])),
            ("a fingerprint length of 4 billion", patched(12, [0xFF, 0xFF, 0xFF, 0xFF])),
            ("a path length past the end", patched(first + 21, [0xFF, 0xFF])),
            ("an empty path", patched(first + 21, [0, 0])),
            ("a name count past the end", patched(first + 23, [0xFF, 0xFF])),
            ("a name length past the end", patched(first + 25 + "manifests/a.yaml".utf8.count, [0xFF, 0xFF])),
            ("unknown flags", patched(first + 20, [0x81])),
            ("a name that is not UTF-8", patched(first + 25 + "manifests/a.yaml".utf8.count + 2, [0xC3])),
            ("entries out of order", patched(second + 25 + 10, Array("A".utf8))),
            ("a duplicate entry", patched(second + 25, Array("manifests/a".utf8))),
            ("nothing but the header", Array(body.prefix(first))),
        ]
        for (what, bytes) in cases {
            try Data(ManifestIndex.sealed(bytes)).write(to: file)
            #expect(throws: ManifestIndex.Rejection.corrupt, "\(what)") { try index.load().get() }
        }
        // The same body, sealed again unchanged, is whole: the cases above fail on what they change.
        try Data(ManifestIndex.sealed(body)).write(to: file)
        #expect(try index.load().get().count == 2)
    }

    @Test("index entries whose blob ids the repository does not have are never used: the reader reads those files from git")
    func blobsNotInTheRepository() async throws {
        let repo = try GitFixture()
        var files: [String: String] = [:]
        for number in 0..<10 { files["manifests/m\(number).yaml"] = manifest("m\(number)") }
        let base = CommitID(hex: try repo.commit("base", files: files))
        let target = CommitID(hex: try repo.commit("change m3", files: ["manifests/m3.yaml": manifest("m3", versions: ["v1", "v2"])]))
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = ManifestIndex(file: directory.appendingPathComponent("index"), fingerprint: "test")
        // Every path of the base, each under a blob id that is not in the repository, with a summary that lies.
        var forged: [ManifestIndex.IndexKey: ManifestSummary] = [:]
        for path in files.keys { forged[.init(path: path, blob: BlobID(hex: String(repeating: "ee", count: 20)))] = ManifestSummary(names: ["m3"], isValid: false) }
        try index.save(forged)

        let cold = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        let expected = try await cold.changedManifests(from: base, to: target)
        let warm = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        await warm.useIndex(try index.load().get())
        #expect(try await warm.load(at: base) == 10, "no entry matched a blob of the base")
        let changed = try await warm.changedManifests(from: base, to: target)
        #expect(changed.before.map(\.path) == expected.before.map(\.path) && changed.after.map(\.path) == expected.after.map(\.path))
        #expect(changed.before.map(\.path) == ["manifests/m3.yaml"])
        #expect(changed.unchangedBefore == expected.unchangedBefore && changed.unchangedBefore == 9)
    }

    @Test("a reader given the index plans a one-file change exactly as a cold reader, reading only the changed file")
    func readerUsesTheIndex() async throws {
        let repo = try GitFixture()
        var files: [String: String] = [:]
        for number in 0..<40 { files["manifests/m\(number).yaml"] = manifest("m\(number)") }
        files["manifests/broken.yaml"] = manifest("broken").replacingOccurrences(of: "runtime:", with: "runtme:")
        files["manifests/twin.yaml"] = manifest("m7")  // shares a name with a file the change touches
        let base = CommitID(hex: try repo.commit("base", files: files))
        let target = CommitID(hex: try repo.commit("change m7", files: ["manifests/m7.yaml": manifest("m7", versions: ["v1", "v2"])]))
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = ManifestIndex(file: directory.appendingPathComponent("index"), fingerprint: "test")

        let cold = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        #expect(try await cold.load(at: base) == 42)
        let expected = try await cold.changedManifests(from: base, to: target)
        try index.save(await cold.indexEntries())

        let warm = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        await warm.useIndex(try index.load().get())
        #expect(try await warm.load(at: base) == 0, "every file of the base is summarized")
        let changed = try await warm.changedManifests(from: base, to: target)
        // The changed file at both revisions, and the unchanged files the plan must see beside it.
        #expect(changed.filesRead == 4)
        #expect(changed.before.map(\.path) == expected.before.map(\.path))
        #expect(changed.after.map(\.path) == expected.after.map(\.path))
        #expect(changed.before.map(\.path) == ["manifests/broken.yaml", "manifests/m7.yaml", "manifests/twin.yaml"])
        #expect(changed.unchangedBefore == expected.unchangedBefore && changed.unchangedAfter == expected.unchangedAfter)
        #expect(changed.after.map(\.diagnostics.count) == expected.after.map(\.diagnostics.count))
        // Reading the whole target still gives every file.
        let everything = try await warm.read(at: target)
        #expect(everything.files.count == 42)
    }

    @Test("a file with YAML aliases (judged under a budget shared by one read) is never written to the index")
    func aliasedFilesAreNotIndexed() async throws {
        let repo = try GitFixture()
        let aliased = manifest("anchored") + "  labels: &shared {team: risk}\n  annotations: *shared\n"
        let head = CommitID(hex: try repo.commit("one", files: ["manifests/plain.yaml": manifest("plain"), "manifests/anchored.yaml": aliased]))
        let reader = ManifestReader(source: try GitSource.open(path: repo.path), directory: "manifests")
        _ = try await reader.read(at: head)
        #expect(await reader.indexEntries().keys.map(\.path) == ["manifests/plain.yaml"])
    }
}
