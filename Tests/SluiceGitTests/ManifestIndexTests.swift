import Foundation
import SluiceCore
import SluiceGit
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
        #expect(try index.load().get() == entries)
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
        let position = try #require(String(decoding: good, as: UTF8.self).range(of: "\tv\t")).lowerBound.utf16Offset(in: String(decoding: good, as: UTF8.self)) + 1
        flipped[position] = UInt8(ascii: "i")  // "valid" turned "invalid": the checksum no longer matches
        try flipped.write(to: file)
        #expect(throws: ManifestIndex.Rejection.corrupt) { try index.load().get() }

        try Data((0..<4096).map { _ in UInt8.random(in: 0...255) }).write(to: file)
        #expect(throws: ManifestIndex.Rejection.corrupt) { try index.load().get() }

        try Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "sluice-manifest-index 1", with: "sluice-manifest-index 2").utf8).write(to: file)
        #expect(throws: ManifestIndex.Rejection.otherFormat) { try index.load().get() }

        try good.write(to: file)
        #expect(throws: ManifestIndex.Rejection.otherValidator) { try ManifestIndex(file: file, fingerprint: "build 2").load().get() }
        #expect(try index.load().get().count == 1)
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
