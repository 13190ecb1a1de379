import Foundation
import SluiceTestSupport
import Testing

/// `sluice validate` with its paths as command-line operands: the operands bypass the
/// argument parser (issue 20), and the command line must still mean what it always did.
@Suite(.timeLimit(.minutes(10))) struct ValidateOperandTests {
    /// 3,000 files, one in ten invalid, in nested directories; `paths` sorted as the directory walk sorts them.
    static func manyManifests() throws -> (tree: ManifestTree, paths: [String]) {
        let tree = try ManifestTree()
        var paths: [String] = []
        for index in 0..<3_000 {
            let path = String(format: "m/team-%02d/model-%05d.yaml", index % 7, index)
            let name = String(format: "model-%05d", index)
            // An upper-case name breaks the DNS-label rule: one error per invalid file.
            try tree.write(path, manifest(index % 10 == 3 ? name.uppercased() : name))
            paths.append(path)
        }
        return (tree, paths.sorted())
    }

    @Test func thousandsOfOperandsReportExactlyWhatDirectoryModeAndFilesFromReport() async throws {
        let (tree, paths) = try Self.manyManifests()
        try tree.write("list.txt", paths.joined(separator: "\n") + "\n")
        try tree.write("half.txt", paths[1_500...].joined(separator: "\n"))
        for format in ["text", "json", "github"] {
            let directory = try await SluiceBinary.run(["validate", "--format", format, "m"], in: tree.url)
            #expect(directory.status == 1, "\(directory.stderr)")
            #expect(directory.stdout.contains("model-00003.yaml"))
            let operands = try await SluiceBinary.run(["validate", "--format", format] + paths, in: tree.url)
            let listed = try await SluiceBinary.run(["validate", "--format", format, "--files-from", "list.txt"], in: tree.url)
            // Half named, half listed: --files-from adds to the operands.
            let mixed = try await SluiceBinary.run(
                ["validate"] + paths[..<1_500] + ["--files-from", "half.txt", "--format", format], in: tree.url)
            for (label, run) in [("operands", operands), ("--files-from", listed), ("operands + --files-from", mixed)] {
                #expect(run.status == directory.status, "\(format) \(label): \(run.stderr)")
                #expect(run.stdout == directory.stdout, "\(format) \(label) differs from directory mode")
                #expect(run.stderr == directory.stderr, "\(format) \(label)")
            }
        }
    }

    @Test func optionsMayComeBeforeAfterOrAmongTheOperands() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        try tree.write("b.yaml", manifest("B"))
        try tree.write("c.yaml", manifest("c"))
        let orders: [[String]] = [
            ["validate", "--format", "json", "--strict", "a.yaml", "b.yaml", "c.yaml"],
            ["validate", "a.yaml", "b.yaml", "c.yaml", "--format", "json", "--strict"],
            ["validate", "a.yaml", "--format", "json", "b.yaml", "--strict", "c.yaml"],
            ["validate", "a.yaml", "--format=json", "b.yaml", "c.yaml", "--strict"],
            ["validate", "a.yaml", "b.yaml", "--strict", "--format", "json", "--", "c.yaml"],
        ]
        var outputs: [String] = []
        for arguments in orders {
            let result = try await SluiceBinary.run(arguments, in: tree.url)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(arguments): \(result.stderr)")
            outputs.append(result.stdout)
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outputs[0].utf8)) as? [String: Any])
        #expect(json["files"] as? Int == 3)
        #expect((json["diagnostics"] as? [[String: Any]])?.map { $0["file"] as? String } == ["b.yaml"])
        #expect(Set(outputs).count == 1, "\(outputs)")
    }

    @Test func afterDoubleDashEveryArgumentIsAPath() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        try tree.write("-x.yaml", manifest("x"))
        let dashed = try await SluiceBinary.run(["validate", "a.yaml", "--", "-x.yaml"], in: tree.url)
        #expect(dashed.status == 0, "\(dashed.stderr)")
        #expect(dashed.stdout == "2 files, 2 models: valid\n")
        // Options after `--` are paths too.
        let option = try await SluiceBinary.run(["validate", "--", "a.yaml", "--format", "--"], in: tree.url)
        #expect(option.status == 2)
        #expect(option.stderr.contains("--format: No such file or directory"), "\(option.stderr)")
        #expect(option.stdout.isEmpty)
        // Without `--` the same name is a group of short options, unknown ones.
        let undashed = try await SluiceBinary.run(["validate", "a.yaml", "-x.yaml"], in: tree.url)
        #expect(undashed.status == 64)
        #expect(undashed.stderr.hasPrefix("Error: Unknown option"), "\(undashed.stderr)")
        #expect(undashed.stdout.isEmpty)
    }

    @Test func unknownOptionsAndMissingValuesAreUsageErrorsAsBefore() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        let cases: [(arguments: [String], message: String)] = [
            (["validate", "a.yaml", "--bogus", "a.yaml"], "Error: Unknown option '--bogus'"),
            (["validate", "a.yaml", "--format"], "Error: Missing value for '--format <format>'"),
            (["validate", "--format", "--strict", "a.yaml"], "Error: Missing value for '--format <format>'"),
            (["validate", "--files-from", "--", "a.yaml"], "Error: Missing value for '--files-from <file>'"),
            (["validate", "a.yaml", "--format", "xml"], "Error: The value 'xml' is invalid for '--format <format>'"),
            (["validate", "a.yaml", "--quiet=yes"], "Error: The option '--quiet' does not take any value, but 'yes' was specified."),
        ]
        for (arguments, message) in cases {
            let result = try await SluiceBinary.run(arguments, in: tree.url)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("Usage: sluice validate"), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
        }
        let config = try await SluiceBinary.run(["validate", "a.yaml", "--config", "c.toml"], in: tree.url)
        #expect(config.status == 2)
        #expect(config.stderr == "sluice validate: --config is read only with --check-artifacts\n")
    }

    @Test func helpIsTheSameWithOrWithoutOperands() async throws {
        let tree = try ManifestTree()
        try tree.write("a.yaml", manifest("a"))
        let help = try await SluiceBinary.run(["validate", "--help"], in: tree.url)
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: sluice validate [<paths> ...] [--format <format>]"), "\(help.stdout)")
        #expect(help.stdout.contains("--files-from <file>"))
        for arguments in [["validate", "a.yaml", "b.yaml", "--help"], ["validate", "-h", "a.yaml"], ["help", "validate"], ["validate", "a.yaml", "-qh"]] {
            let result = try await SluiceBinary.run(arguments, in: tree.url)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stdout == help.stdout, "\(arguments)")
        }
    }
}
