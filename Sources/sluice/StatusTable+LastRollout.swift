import Foundation
import SluiceCore

extension StatusTable {
    /// One row per model whose last rollout ended (kept until the next one starts): the
    /// outcome, when, the commit it went toward, the `onAbort: revert` commit, and why (the
    /// checks that failed, value against threshold). Empty when no model has one.
    static func renderLastRollouts(_ models: [JSONValue]) -> String {
        var rows = [["MODEL", "LAST ROLLOUT", "AT", "REVISION", "REVERT", "DETAIL"]]
        let formatter = ISO8601DateFormatter()
        for model in models {
            guard let last = model["lastRollout"], case .object = last else { continue }
            func text(_ value: JSONValue?) -> String? { if case .string(let s)? = value { s } else { nil } }
            var at = "-"
            switch last["at"] {
            case .number(let seconds)?: at = formatter.string(from: Date(timeIntervalSince1970: seconds))
            case .int(let seconds)?: at = formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
            default: break
            }
            var details: [String] = []
            if case .array(let checks)? = last["failedChecks"], !checks.isEmpty {
                details += checks.map { "\(text($0["metric"]) ?? "?"): \(text($0["detail"]) ?? "-")" }
            } else if let message = text(last["message"]) {
                details.append(message)
            }
            var revert = "-"
            if let status = last["revert"].flatMap({ text($0["status"]) }) {
                if let commit = last["revert"].flatMap({ text($0["commit"]) }) {
                    revert = String(commit.prefix(7))
                } else {
                    revert = status
                    // Why a revert failed or was skipped is part of what happened.
                    if status != RolloutOutcome.Revert.Status.pending.rawValue, let why = last["revert"].flatMap({ text($0["message"]) }) {
                        details.append("revert \(status): \(why)")
                    }
                }
            }
            rows.append([
                text(model["name"]) ?? "-", text(last["outcome"]) ?? "-", at, String((text(last["revision"]) ?? "-").prefix(7)), revert,
                String(details.joined(separator: "; ").prefix(200)),
            ])
        }
        return rows.count == 1 ? "" : align(rows)
    }
}
