import Foundation
import SluiceTestSupport
import Testing

/// `sluice plan` keeps an on-disk manifest index so that a fresh process reads only what the
/// change needs; the index never changes what a plan says.
@Suite(.timeLimit(.minutes(10))) struct PlanIndexTests {
    /// A repository of `count` models, then a commit that changes one of them.
    func repository(count: Int = 30) throws -> GitFixture {
        let repo = try GitFixture()
        var files: [String: String] = [:]
        for number in 0..<count { files["manifests/m\(number).yaml"] = manifest("m\(number)") }
        try repo.commit("base", files: files)
        try repo.commit("change m3", files: ["manifests/m3.yaml": manifest("m3", runtime: "python-v3")])
        return repo
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-plan-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func indexFile(in directory: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("manifest-index-") }
        return directory.appendingPathComponent(try #require(names.count == 1 ? names.first : nil, "one index file: \(names)"))
    }

    @Test("the second run reads no file of the base, and both plans say exactly what --no-index says")
    func secondRunUsesTheIndex() async throws {
        let repo = try repository()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try await SluiceBinary.run(["plan", "--path", "manifests", "--no-index"], in: repo.url)
        #expect(reference.status == 1, "\(reference.stdout)\(reference.stderr)")
        #expect(reference.stdout.contains("Plan: 1 to update (29 unchanged)") || reference.stdout.contains("29 unchanged"), "\(reference.stdout)")

        let first = try await SluiceBinary.run(["plan", "--path", "manifests", "--index-dir", directory.path, "--timing"], in: repo.url)
        #expect(first.stdout == reference.stdout)
        #expect(first.stderr.contains("manifest index not used: no index yet"), "\(first.stderr)")
        #expect(first.stderr.contains("read base (30 files read)"), "\(first.stderr)")
        _ = try indexFile(in: directory)

        let second = try await SluiceBinary.run(["plan", "--path", "manifests", "--index-dir", directory.path, "--timing"], in: repo.url)
        #expect(second.stdout == reference.stdout)
        #expect(second.stderr.contains("read the manifest index (31 files)"), "the base and the changed file: \(second.stderr)")
        #expect(second.stderr.contains("read base (0 files read)"), "\(second.stderr)")
        #expect(!second.stderr.contains("write the manifest index"), "nothing new learned, nothing written")
    }

    @Test("the CI form (--from): a warm run reads no file of the base, writes nothing, and says what --no-index says")
    func pullRequestFormUsesTheIndex() async throws {
        let repo = try repository()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["plan", "--path", "manifests", "--from", "HEAD~1", "--index-dir", directory.path, "--timing"]
        let reference = try await SluiceBinary.run(["plan", "--path", "manifests", "--from", "HEAD~1", "--no-index"], in: repo.url)
        #expect(reference.status == 1, "\(reference.stdout)\(reference.stderr)")
        let first = try await SluiceBinary.run(arguments, in: repo.url)
        #expect(first.stdout == reference.stdout)
        #expect(first.stderr.contains("write the manifest index"), "\(first.stderr)")
        for _ in 0..<2 {
            let warm = try await SluiceBinary.run(arguments, in: repo.url)
            #expect(warm.status == reference.status)
            #expect(warm.stdout == reference.stdout)
            #expect(warm.stderr.contains("read the manifest index (31 files)"), "the base and the changed file: \(warm.stderr)")
            #expect(warm.stderr.contains("read base (0 files read)"), "\(warm.stderr)")
            #expect(!warm.stderr.contains("write the manifest index"), "the changed file was indexed too: \(warm.stderr)")
        }
    }

    @Test("a corrupt index or one from another format version is ignored, the plan is unchanged, and the index is written afresh")
    func corruptAndOtherVersions() async throws {
        let repo = try repository()
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["plan", "--path", "manifests", "--index-dir", directory.path, "--timing"]
        let reference = try await SluiceBinary.run(arguments, in: repo.url)
        let file = try indexFile(in: directory)
        let good = try Data(contentsOf: file)
        let damaged: [(String, Data, String)] = [
            ("garbage", Data((0..<2048).map { _ in UInt8.random(in: 0...255) }), "corrupt"),
            ("truncated", good.prefix(good.count / 2), "corrupt"),
            ("empty", Data(), "corrupt"),
            ("a later format", { var later = good; later[8] = 7; return later }(), "another format version"),
            ("the text format of version 1", Data("sluice-manifest-index 1\nfingerprint x\nsha256 00\n".utf8), "another format version"),
            ("a flipped byte", { var flipped = good; flipped[good.count / 2] ^= 0x40; return flipped }(), "corrupt"),
        ]
        for (what, bytes, reason) in damaged {
            try bytes.write(to: file)
            let run = try await SluiceBinary.run(arguments, in: repo.url)
            #expect(run.status == reference.status, "\(what)")
            #expect(run.stdout == reference.stdout, "\(what)")
            #expect(run.stderr.contains("manifest index not used") && run.stderr.contains(reason), "\(what): \(run.stderr)")
            #expect(run.stderr.contains("read base (30 files read)"), "\(what): \(run.stderr)")
            let again = try await SluiceBinary.run(arguments, in: repo.url)
            #expect(again.stderr.contains("read base (0 files read)"), "\(what): the index was written afresh; \(again.stderr)")
        }
        // A directory where the index file should be: the plan still works, only slower.
        try FileManager.default.removeItem(at: file)
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
        let blocked = try await SluiceBinary.run(arguments, in: repo.url)
        #expect(blocked.stdout == reference.stdout)
        #expect(blocked.stderr.contains("cannot be read"), "\(blocked.stderr)")
    }

    @Test("concurrent runs sharing one index all plan correctly, and the index stays whole")
    func concurrentRuns() async throws {
        let repo = try repository(count: 60)
        let other = try repository(count: 45)
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = ["plan", "--path", "manifests", "--index-dir", directory.path]
        let expected = (try await SluiceBinary.run(arguments + ["--no-index"], in: repo.url).stdout, try await SluiceBinary.run(arguments + ["--no-index"], in: other.url).stdout)
        let (first, second) = (repo.url, other.url)
        for round in 0..<3 {
            try await withThrowingTaskGroup(of: (Bool, String).self) { group in
                for run in 0..<6 {
                    let onFirst = run % 2 == 0
                    group.addTask { (onFirst, try await SluiceBinary.run(arguments, in: onFirst ? first : second).stdout) }
                }
                for try await (onFirst, stdout) in group {
                    #expect(stdout == (onFirst ? expected.0 : expected.1), "round \(round)")
                }
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.filter { $0.hasPrefix("manifest-index-") }.count == 2, "one index per repository: \(files)")
        #expect(files.allSatisfy { !$0.hasSuffix(".tmp") }, "no temporary file left behind: \(files)")
        for run in [repo, other] {
            let warm = try await SluiceBinary.run(arguments + ["--timing"], in: run.url)
            #expect(warm.stderr.contains("read base (0 files read)"), "\(warm.stderr)")
        }
    }
}
