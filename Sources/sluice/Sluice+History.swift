import ArgumentParser
import Foundation
import NIOHTTP1
import SluiceController
import SluiceCore

extension Sluice {
    /// `sluice history [MODEL] [--since T] [--until T] [--format text|json]`.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history",
            abstract: "Show the audit trail: what changed, why, by which commit or person, with the analysis readings.",
            discussion: """
                Without MODEL, every model's events and the controller's own (_controller), in the order \
                they were recorded. --since and --until take an RFC 3339 time (2026-12-05T08:00:00Z) or a \
                duration before now (24h, 90m); since is inclusive, until exclusive. The controller sends \
                the trail a page at a time and each page is printed as it arrives. --format json prints \
                {"events": [...]}, one event per line (docs/controller.md, Audit export).
                """)

        @Argument(help: "One model, or _controller (default: all).")
        var model: String?

        @Option(name: .long, help: "text or json.")
        var format: String = "text"

        @Option(name: .long, help: "Only events at or after this time: RFC 3339, or a duration before now (24h).")
        var since: String?

        @Option(name: .long, help: "Only events before this time: RFC 3339, or a duration before now (1h).")
        var until: String?

        @OptionGroup var client: ControllerClientOptions

        /// The events per request.
        static let pageSize = 500

        func validate() throws {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format: expected text or json, found '\(format)'") }
            _ = try bounds(now: Date().timeIntervalSince1970)
        }

        /// `--since` and `--until` as seconds since 1970.
        func bounds(now: Double) throws -> (since: Double?, until: Double?) {
            do {
                let from = try since.map { try AuditTime.bound($0, option: "--since", now: now) }
                let to = try until.map { try AuditTime.bound($0, option: "--until", now: now) }
                if let from, let to, from >= to {
                    throw ValidationError("--since (\(AuditTime.format(from))) must be before --until (\(AuditTime.format(to)))")
                }
                return (from, to)
            } catch let problem as AuditTime.Problem {
                throw ValidationError(problem.description)
            }
        }

        func run() async throws {
            let (from, to) = try bounds(now: Date().timeIntervalSince1970)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var after: Int64?
            var printed = 0
            if format == "json" { print("{\"events\": [", terminator: "") }
            repeat {
                var query = [("limit", String(Self.pageSize))]
                if let model { query.append(("model", model)) }
                if let from { query.append(("since", AuditTime.format(from))) }
                if let to { query.append(("until", AuditTime.format(to))) }
                if let after { query.append(("after", String(after))) }
                let path = "/v1/history?" + query.map { "\($0)=\(Self.encoded($1))" }.joined(separator: "&")
                let (status, text) = try await client.send(.GET, path)
                guard status == 200 else { try failWithAPIError((try? JSONParser.parse(text)) ?? .object([("error", .string(text))]), status: status) }
                let page: AuditPage
                do {
                    page = try JSONDecoder().decode(AuditPage.self, from: Data(text.utf8))
                } catch {
                    FileHandle.standardError.write(Data("sluice: the controller's history page is not understood: \(error)\n".utf8))
                    throw ExitCode(1)
                }
                for event in page.events {
                    if format == "json" {
                        print((printed == 0 ? "\n" : ",\n") + String(decoding: try encoder.encode(event), as: UTF8.self), terminator: "")
                    } else {
                        print(Self.line(event, showModel: model == nil))
                    }
                    printed += 1
                }
                // A controller that sent a cursor but no events would loop forever.
                after = page.events.isEmpty ? nil : page.next
            } while after != nil
            if format == "json" { print(printed == 0 ? "]}" : "\n]}") }
        }

        /// `2026-12-05T08:00:00.000Z  [fraud  ]abc1234  promoted         message  [actor]`.
        static func line(_ event: AuditEvent, showModel: Bool) -> String {
            let kind = event.kind.rawValue
            // Padded to a column, never cut (`reconcileRecovered`, `retrainAwaitingApproval` are longer).
            let column = kind + String(repeating: " ", count: max(0, 16 - kind.count))
            let revision = event.revision.map { String($0.prefix(7)) } ?? "-"
            return "\(event.time)  " + (showModel ? "\(event.model)  " : "") + "\(revision)  \(column) \(event.message)  [\(event.actor)]"
        }

        /// A query value, percent-encoded (`+`, `&`, `=` included).
        static func encoded(_ value: String) -> String {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "+&=")
            return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
        }
    }
}
