import Foundation
import Testing
@testable import SluiceGit

/// The runner of gpg and ssh-keygen: a minimal environment, files instead of argv for data,
/// and a child that outruns its time or output limit is killed.
@Suite(.timeLimit(.minutes(2))) struct ToolRunTests {
    static func tools(timeout: Duration = .seconds(10), maxOutput: Int = 1 << 20) throws -> ToolRun {
        var tools = ToolRun(directory: try ToolRun.privateDirectory(prefix: "sluice-toolrun-test"))
        tools.timeout = timeout
        tools.maxOutput = maxOutput
        return tools
    }

    @Test("the child gets PATH, LANG, LC_ALL and a private HOME only, and its stdin from a 0600 file")
    func environmentAndInput() async throws {
        let tools = try Self.tools()
        defer { try? FileManager.default.removeItem(atPath: tools.directory) }
        var info = stat()
        #expect(stat(tools.directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let environment = try await tools.run("env", [])
        #expect(environment.succeeded)
        #expect(Set(environment.outputText.split(separator: "\n").map { String($0.prefix { $0 != "=" }) }) == ["PATH", "LANG", "LC_ALL", "HOME"])
        let input = try tools.writeFile("input", Array("secret payload\n".utf8))
        #expect(stat(input, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try await tools.run("cat", [], input: input).outputText == "secret payload\n")
    }

    @Test("a child past its time limit or its output limit is killed and reported, not waited for")
    func limits() async throws {
        let slow = try Self.tools(timeout: .milliseconds(200))
        defer { try? FileManager.default.removeItem(atPath: slow.directory) }
        do {
            let started = ContinuousClock.now
            // Far longer than any stall of CI's cooperative pool (tens of seconds with ~900 tests
            // on 2 threads): the poll that enforces the limit runs late then, but it still runs
            // before the child could end by itself.
            let ended = try await slow.run("sleep", ["600"])
            // Say how it ended: a signal from elsewhere or a failed exec reads differently from a missed limit.
            Issue.record("sleep 600 was not stopped: it ended after \(ContinuousClock.now - started), exited \(ended.exited), status \(ended.status), errors \(String(decoding: ended.errors, as: UTF8.self))")
        } catch {
            #expect(error.description.contains("was stopped"), "\(error)")
        }
        let chatty = try Self.tools(maxOutput: 4096)
        defer { try? FileManager.default.removeItem(atPath: chatty.directory) }
        do {
            _ = try await chatty.run("yes", [])
            Issue.record("yes was not stopped")
        } catch {
            #expect(error.description.contains("wrote more than 4096 bytes"), "\(error)")
        }
        do {
            _ = try await chatty.run("no-such-tool-\(UUID().uuidString.prefix(6))", [])
            Issue.record("a missing tool ran")
        } catch {
            #expect(error.description.contains("is not installed"))
        }
    }
}
