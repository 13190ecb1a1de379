import Foundation
import Testing

/// The generated command-line documentation, end to end through the binary: the reference page
/// is what the commands print today, the shell completions name every command and complete
/// paths, and the man page covers every command.
@Suite("command-line reference, completion and man page", .timeLimit(.minutes(10)))
struct CLIReferenceTests {
    /// The commands a user sees in `sluice help`, including nested ones.
    static let commands = [
        "validate", "plan", "rollback", "schema", "serve", "controller", "up", "status", "history",
        "promote", "abort", "retry", "approve", "drift", "baseline", "artifact",
    ]

    static func committed(_ path: String) throws -> String {
        try String(contentsOf: SluiceBinary.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    @Test("docs/cli-reference.md is what `sluice cli-reference` prints (run scripts/update-generated.sh)")
    func referenceIsCurrent() async throws {
        let result = try await SluiceBinary.run(["cli-reference"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == (try Self.committed("docs/cli-reference.md")), "run scripts/update-generated.sh")
        for command in Self.commands {
            #expect(result.stdout.contains("\n## `sluice \(command)`\n"), "no section for sluice \(command)")
        }
        #expect(result.stdout.contains("USAGE: sluice baseline build"))
        #expect(!result.stdout.contains(NSHomeDirectory() + "/"), "the reference names this machine's home directory")
    }

    @Test("the hidden generator is not offered to users")
    func generatorIsHidden() async throws {
        let help = try await SluiceBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("validate"))
        #expect(!help.stdout.contains("cli-reference"))
    }

    @Test("bash, zsh and fish completion scripts name every command and complete files", arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) async throws {
        let result = try await SluiceBinary.run(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.stderr)")
        let script = result.stdout
        #expect(script.count > 1000, "the \(shell) script is \(script.count) characters")
        for command in Self.commands {
            #expect(script.contains(command), "the \(shell) script does not name \(command)")
        }
        #expect(!script.contains("cli-reference"), "the \(shell) script offers the hidden generator")
        // --config completes YAML files (and directories on the way to them).
        let fileCompletion = switch shell {
        case "bash": "-fX '!*.@(yaml|yml)'"
        case "zsh": "_files -g '\\''*.yaml *.yml'"
        default: "__fish_complete_directories"
        }
        #expect(script.contains(fileCompletion), "the \(shell) script does not complete file names")
    }

    @Test("docs/sluice.1, the man page, has a section per command and documents completion")
    func manPageCoversEveryCommand() throws {
        let page = try Self.committed("docs/sluice.1")
        #expect(page.hasPrefix(".\\\"") || page.contains(".Dt SLUICE 1"), "not a man page")
        for command in Self.commands {
            #expect(page.contains(command), "docs/sluice.1 does not mention \(command)")
        }
        let guide = try Self.committed("docs/cli.md")
        #expect(guide.contains("--generate-completion-script bash"))
        #expect(guide.contains("man ./docs/sluice.1"))
    }
}
