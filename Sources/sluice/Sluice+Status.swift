import ArgumentParser
import Foundation
import NIOHTTP1
import SluiceCore

extension Sluice {
    /// `sluice status [MODEL]`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each model's sync, health, versions, weights, step, last analysis and how its last rollout ended.")

        @Argument(help: "One model (default: all).")
        var model: String?

        @Option(name: .long, help: "text or json.")
        var format: String = "text"

        @OptionGroup var client: ControllerClientOptions

        func run() async throws {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format: expected text or json") }
            let (status, body) = try await client.call(.GET, model.map { "/v1/models/\($0)" } ?? "/v1/status")
            guard status == 200 else { try failWithAPIError(body, status: status) }
            if format == "json" {
                print(body.serialized(indent: 2))
                return
            }
            let models = model == nil ? (body["models"].flatMap { if case .array(let items) = $0 { items } else { nil } } ?? []) : [body]
            print(StatusTable.render(models))
            let monitors = StatusTable.renderMonitors(models)
            if !monitors.isEmpty { print("\n" + monitors) }
            let lastRollouts = StatusTable.renderLastRollouts(models)
            if !lastRollouts.isEmpty { print("\n" + lastRollouts) }
            if case .string(let error)? = body["error"] { print("\nlast pass failed: \(error)") }
            if case .string(let verification)? = body["source"]?["verification"] {
                let message = body["source"]?["message"].flatMap { if case .string(let text) = $0 { ": " + text } else { nil } } ?? ""
                print("\nsource: \(verification)\(message)")
            }
        }
    }

    /// `sluice promote MODEL [--full] [--override-window]`.
    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Pass a rollout's pause or approval step (--full: skip to the end).",
            discussion: "Inside a closed change window (a deny window, or outside every allow window) a promotion is refused with the time the window closes; --override-window lets the change through until then, recorded in the history with who asked.")
        @Argument(help: "The model.") var model: String
        @Flag(name: .long, help: "Skip every remaining step.") var full = false
        @Flag(name: .long, help: "Promote even inside a closed change window (recorded with the actor).") var overrideWindow = false
        @OptionGroup var client: ControllerClientOptions

        func run() async throws {
            let query = [full ? "full=true" : nil, overrideWindow ? "overrideWindow=true" : nil].compactMap { $0 }
            try await command(client, "/v1/models/\(model)/promote" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        }
    }

    /// `sluice abort MODEL`.
    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "abort", abstract: "Abort a rollout: 100% back to stable now; the candidate is not retried.")
        @Argument(help: "The model.") var model: String
        @OptionGroup var client: ControllerClientOptions

        func run() async throws { try await command(client, "/v1/models/\(model)/abort") }
    }

    /// `sluice approve MODEL --monitor NAME`.
    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Approve retraining for a monitor whose action is retrain.",
            discussion: "The retraining webhook is called with the evidence when the monitor fires (at once if it is firing now); one approval covers one request.")
        @Argument(help: "The model.") var model: String
        @Option(name: .long, help: "The monitor's name.") var monitor: String
        @OptionGroup var client: ControllerClientOptions

        func run() async throws {
            let name = monitor.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? monitor
            try await command(client, "/v1/models/\(model)/approve?monitor=\(name)")
        }
    }

    /// `sluice retry MODEL`.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Try a failed spec again.")
        @Argument(help: "The model.") var model: String
        @OptionGroup var client: ControllerClientOptions

        func run() async throws { try await command(client, "/v1/models/\(model)/retry") }
    }
}

private func command(_ client: ControllerClientOptions, _ path: String) async throws {
    let (status, body) = try await client.call(.POST, path)
    guard status == 200 else { try failWithAPIError(body, status: status) }
    if case .string(let message)? = body["message"] { print(message) }
}

/// The `sluice status` table.
enum StatusTable {
    static func render(_ models: [JSONValue]) -> String {
        // Only when the data plane reports replicas (a controller or data plane before them does not).
        let showReplicas = models.contains { $0["replicas"] != nil }
        var rows = [["MODEL", "SYNC", "HEALTH", "STABLE", "CANDIDATE", "WEIGHTS"] + (showReplicas ? ["REPLICAS"] : [])
            + ["STEP", "LAST ANALYSIS", "REVISION", "MESSAGE"]]
        // Lines printed under a model's row (none under the header).
        var details: [[String]] = [[]]
        for model in models {
            details.append([routingLine(model), shadowLine(model), limitLine(model), waitLine(model)].compactMap { $0 })
            func text(_ value: JSONValue?) -> String {
                switch value {
                case .string(let s)?: s
                case .int(let i)?: String(i)
                default: "-"
                }
            }
            let weights: String
            if case .object(let members)? = model["weights"] {
                weights = members.map { "\($0.0)=\(text($0.1))" }.joined(separator: " ")
            } else {
                weights = "-"
            }
            // Counted from 1 with the total, as the message says it (`step 2/3`).
            let step = model["step"].map { text($0) + (model["steps"].map { "/\(text($0))" } ?? "") } ?? "-"
            rows.append([
                text(model["name"]), text(model["sync"]), text(model["health"]),
                text(model["stable"]?["version"]), text(model["candidate"]?["version"]), weights,
            ] + (showReplicas ? [replicasCell(model)] : []) + [
                step, text(model["lastAnalysis"]?["verdict"]), String(text(model["desiredRevision"]).prefix(7)), text(model["message"]),
            ])
        }
        return zip(lines(rows), details).flatMap { [$0] + $1 }.joined(separator: "\n")
    }

    /// Ready over desired replicas per version, `v1=3/3 v2=1/2`; `-` when none are reported.
    static func replicasCell(_ model: JSONValue) -> String {
        guard case .object(let versions)? = model["replicas"], !versions.isEmpty else { return "-" }
        return versions.map { name, replicas in
            let count = { (key: String) in if case .int(let value)? = replicas[key] { String(value) } else { "?" } }
            return "\(name)=\(count("ready"))/\(count("desired"))"
        }.joined(separator: " ")
    }

    /// `  replicas: v2 limited by maxProcesses` under a model whose versions run fewer
    /// replicas than their load asks for; nil when none does.
    static func limitLine(_ model: JSONValue) -> String? {
        guard case .object(let versions)? = model["replicas"] else { return nil }
        let limited = versions.compactMap { name, replicas -> String? in
            guard case .string(let limit)? = replicas["limitedBy"] else { return nil }
            return "\(name) limited by \(limit)"
        }
        return limited.isEmpty ? nil : "  replicas: " + limited.joined(separator: ", ")
    }

    /// `  shadow 100% → v2: 603 pairs, agreement 0.14 (min 0.9), 12 shed` under a model whose
    /// rollout ran a shadow step: the last shadow-step analysis; nil without one.
    static func shadowLine(_ model: JSONValue) -> String? {
        guard let shadow = model["shadow"], case .object = shadow else { return nil }
        func number(_ key: String) -> String? {
            switch shadow[key] {
            case .int(let value)?: String(value)
            case .number(let value)?: MonitorEvaluator.format(value)
            default: nil
            }
        }
        var head = "shadow \(number("percent") ?? "?")%"
        if case .string(let version)? = shadow["version"] { head += " → \(version)" }
        var parts = ["\(number("pairs") ?? "0") pairs"]
        if let agreement = number("agreement") {
            var text = "agreement \(agreement)"
            if let tolerance = number("tolerance"), tolerance != "0" { text += " at tolerance \(tolerance)" }
            if let minimum = number("agreementMin") { text += " (min \(minimum))" }
            parts.append(text)
        }
        if let errors = number("candidateErrors"), errors != "0" { parts.append("\(errors) candidate errors") }
        parts.append("\(number("shed") ?? "0") shed")
        return "  \(head): " + parts.joined(separator: ", ")
    }

    /// `  routing: mirror 10%→v2, sticky x-user-id` under a model routed by more than its
    /// weights (a line, not a column: the table is wide already); nil when weights are all.
    static func routingLine(_ model: JSONValue) -> String? {
        guard let value = model["routing"] else { return nil }  // an older controller sends none
        do {
            let routing = try RoutingSummary(json: value)
            return routing.isPlain ? nil : "  routing: \(routing)"
        } catch {
            return "  routing: unreadable (\(error))"
        }
    }

    /// One row per monitor and version: latest value, threshold, verdict, firing tier.
    static func renderMonitors(_ models: [JSONValue]) -> String {
        var rows = [["MODEL", "MONITOR", "VERSION", "VALUE", "THRESHOLD", "VERDICT", "FIRING", "SAMPLES", "DETAIL"]]
        for model in models {
            guard case .array(let monitors)? = model["monitors"] else { continue }
            for monitor in monitors {
                let latest = monitor["latest"]
                func number(_ value: JSONValue?) -> String {
                    switch value {
                    case .int(let i)?: return String(i)
                    case .number(let d)?: return MonitorEvaluator.format(d)
                    default: return "-"
                    }
                }
                func text(_ value: JSONValue?) -> String { if case .string(let s)? = value { s } else { "-" } }
                var value = number(latest?["value"])
                if case .number(let bound)? = latest?["errorBound"] { value += " ±" + MonitorEvaluator.format(bound) }
                rows.append([
                    text(model["name"]), text(monitor["name"]), text(monitor["version"]), value,
                    "\(text(latest?["comparator"])) \(number(latest?["threshold"]))", text(latest?["verdict"]),
                    text(monitor["firing"]), number(latest?["samples"]), String(text(latest?["detail"]).prefix(120)),
                ])
            }
        }
        return rows.count == 1 ? "" : align(rows)
    }

    static func align(_ rows: [[String]]) -> String {
        lines(rows).joined(separator: "\n")
    }

    /// One line per row, every column but the last padded to its widest cell.
    private static func lines(_ rows: [[String]]) -> [String] {
        let widths = (0..<rows[0].count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            (row.dropLast().enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [row.last!]).joined(separator: "  ")
        }
    }
}
