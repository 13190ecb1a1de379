import ArgumentParser
import Foundation
import SluiceCore

extension Sluice {
    /// `sluice drift`: compares current data with a reference, column by column.
    struct Drift: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Compare current data with a reference (a CSV file or a baseline) for drift.",
            discussion: """
                Compares each column present in both files and reports its score, threshold and verdict. \
                REFERENCE is a CSV file or a baseline (.json, see `sluice baseline build`); CURRENT is a CSV file. \
                Tests: auto (ks for numbers with values, psi against bins alone, chi_square for categories), \
                psi, ks, chi_square (or chisquare), jensen_shannon (or js), wasserstein, hellinger. \
                Exit status: 0 no drift, 1 drift, 2 usage or input error, 3 no drift found but a column had \
                fewer than --min-count values (too little data is never a pass).
                """
        )

        @Argument(help: "The reference: a CSV file or a baseline JSON file.", completion: .file(extensions: ["csv", "json"]))
        var reference: String

        @Argument(help: "The current data: a CSV file.", completion: .file(extensions: ["csv"]))
        var current: String

        @Option(help: "auto, psi, ks, chi_square, jensen_shannon, wasserstein or hellinger.")
        var test = "auto"

        @Option(help: "Drift threshold (α for ks and chi_square); default per test: psi 0.2, ks 0.05, chi_square 0.05, jensen_shannon 0.1, wasserstein 0.1, hellinger 0.1.")
        var threshold: Double?

        @Option(help: ArgumentHelp("Compare only these columns (comma-separated).", valueName: "a,b"))
        var columns: String?

        @Option(help: "Multiple-testing correction of p-values across columns: none, bonferroni or bh (Benjamini–Hochberg).")
        var correction = "bh"

        @Option(name: .customLong("min-count"), help: "Fewer values than this on either side is insufficient data.")
        var minCount = 100

        @Option(help: ArgumentHelp("Drift when at least this share (0…1) of the columns drifted, instead of any one.", valueName: "share"))
        var share: Double?

        @Option(help: "Quantile bins for psi, jensen_shannon, hellinger and chi_square on numbers.")
        var bins = 10

        @Option(help: "Report format: text or json.")
        var format = "text"

        func run() throws {
            let report: Report
            do {
                report = try compare()
            } catch {
                DriftInput.report("drift", error.description)
                throw ExitCode(2)
            }
            print(format == "json" ? report.json.serialized(indent: 2) : report.text, terminator: format == "json" ? "\n" : "")
            if !report.errors.isEmpty {
                for message in report.errors { DriftInput.report("drift", message) }
                throw ExitCode(2)
            }
            switch report.summary.verdict {
            case .drift: throw ExitCode(1)
            case .insufficientData: throw ExitCode(3)
            case .noDrift: return
            }
        }

        /// The scores, what was left out and the errors of one run.
        struct Report {
            var summary: DriftSummary
            var onlyInReference: [String]
            var onlyInCurrent: [String]
            var errors: [String]
            var json: JSONValue
            var text: String
        }

        private func compare() throws(DriftInput.Failure) -> Report {
            let test = try Self.test(test)
            let correction = try Self.correction(correction)
            guard ["text", "json"].contains(format) else { throw DriftInput.Failure(description: "--format: expected text or json, found '\(format)'") }
            guard minCount >= 0 else { throw DriftInput.Failure(description: "--min-count: expected a number ≥ 0") }
            guard bins >= 1 else { throw DriftInput.Failure(description: "--bins: expected a number ≥ 1") }
            if let share, !(0...1).contains(share) { throw DriftInput.Failure(description: "--share: expected a number in 0…1") }
            if let threshold, !threshold.isFinite || threshold < 0 { throw DriftInput.Failure(description: "--threshold: expected a number ≥ 0") }
            let (referenceSource, currentTable) = try DriftInput.sideBySide(reference: reference, current: current)

            let referenceNames = referenceSource.names
            let currentNames = currentTable.header
            let named = try DriftInput.columns(columns)
            for name in named ?? [] where !referenceNames.contains(name) && !currentNames.contains(name) {
                throw DriftInput.Failure(description: "--columns: '\(name)' is a column of neither \(reference) nor \(current)")
            }
            let wanted = named ?? (referenceNames + currentNames.filter { !referenceNames.contains($0) })
            let compared = wanted.filter { referenceNames.contains($0) && currentNames.contains($0) }
            let onlyInReference = wanted.filter { referenceNames.contains($0) && !currentNames.contains($0) }
            let onlyInCurrent = wanted.filter { !referenceNames.contains($0) && currentNames.contains($0) }
            guard !compared.isEmpty else {
                throw DriftInput.Failure(description: "no column is in both \(reference) and \(current) (\(reference): \(referenceNames.joined(separator: ", ")); \(current): \(currentNames.joined(separator: ", ")))")
            }

            var scores: [DriftScore] = []
            var errors: [String] = []
            for name in compared {
                var referenceData = referenceSource.data(name, for: test)
                var currentData = currentTable[name]?.count ?? 0 > 0 ? currentTable[name]?.featureData : nil
                // A column without values has no kind: it takes the other side's.
                referenceData = referenceData ?? Self.empty(like: currentData)
                currentData = currentData ?? Self.empty(like: referenceData)
                do {
                    scores.append(try DriftComparator.score(
                        feature: name, reference: referenceData!, current: currentData!, test: test,
                        threshold: threshold, minCount: minCount, bins: bins))
                } catch {
                    errors.append("\(error)\(named == nil ? " (choose columns with --columns)" : "")")
                }
            }
            let summary = DriftComparator.summarize(scores, correction: correction, shareThreshold: share)
            var report = Report(summary: summary, onlyInReference: onlyInReference, onlyInCurrent: onlyInCurrent, errors: errors, json: .null, text: "")
            report.json = json(report, test: test)
            report.text = DriftReportText.render(report, reference: reference, current: current, minCount: minCount)
            return report
        }

        private static func empty(like data: FeatureData?) -> FeatureData {
            data?.kind == .categorical ? .categorical(counts: [:]) : .numericSample([])
        }

        private func json(_ report: Report, test: DriftTest?) -> JSONValue {
            guard case .object(let members) = report.summary.jsonValue() else { return .null }
            return .object(
                [
                    ("reference", .string(reference)),
                    ("current", .string(current)),
                    ("test", .string(test?.rawValue ?? "auto")),
                    ("minCount", .int(minCount)),
                ] + members + [
                    ("onlyInReference", .array(report.onlyInReference.map(JSONValue.string))),
                    ("onlyInCurrent", .array(report.onlyInCurrent.map(JSONValue.string))),
                    ("errors", .array(report.errors.map(JSONValue.string))),
                ])
        }

        /// `--test`: nil for auto; DriftTest raw values plus the aliases chisquare and js.
        static func test(_ text: String) throws(DriftInput.Failure) -> DriftTest? {
            let key = text.lowercased().replacingOccurrences(of: "-", with: "_")
            let aliases: [String: DriftTest] = ["chisquare": .chiSquare, "chi2": .chiSquare, "js": .jensenShannon, "jensenshannon": .jensenShannon]
            if key == "auto" { return nil }
            if let test = DriftTest(rawValue: key) ?? aliases[key] { return test }
            throw DriftInput.Failure(description: "--test: expected auto, \(DriftTest.allCases.map(\.rawValue).joined(separator: ", ")) (or chisquare, js); found '\(text)'")
        }

        /// `--correction`: none, bonferroni or bh.
        static func correction(_ text: String) throws(DriftInput.Failure) -> DriftCorrection {
            let key = text.lowercased()
            if let correction = DriftCorrection(rawValue: key) { return correction }
            if key == "benjamini-hochberg" || key == "fdr" { return .benjaminiHochberg }
            throw DriftInput.Failure(description: "--correction: expected none, bonferroni or bh; found '\(text)'")
        }
    }
}

/// The text report: an aligned table, the columns left out, and a one-line summary.
enum DriftReportText {
    static func render(_ report: Sluice.Drift.Report, reference: String, current: String, minCount: Int) -> String {
        let summary = report.summary
        var rows = [["FEATURE", "TEST", "STATISTIC", "P-VALUE", "ADJ. P", "THRESHOLD", "VERDICT", "N REF", "N CUR", "JUDGED BY"]]
        for (score, adjusted) in zip(summary.scores, summary.adjustedPValues) {
            let threshold = score.comparator == DriftScore.pValueComparator ? "p ≤ \(number(score.threshold))" : "≥ \(number(score.threshold))"
            rows.append([
                score.feature, score.test.rawValue, number(score.statistic), number(score.pValue), number(adjusted),
                threshold, score.verdict.rawValue.replacingOccurrences(of: "_", with: " "),
                String(score.referenceCount), String(score.currentCount), score.judgedBy,
            ])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            text += line + "\n"
        }
        if !report.onlyInReference.isEmpty { text += "only in \(reference) (not compared): \(report.onlyInReference.joined(separator: ", "))\n" }
        if !report.onlyInCurrent.isEmpty { text += "only in \(current) (not compared): \(report.onlyInCurrent.joined(separator: ", "))\n" }
        return text + summaryLine(summary, minCount: minCount) + "\n"
    }

    static func summaryLine(_ summary: DriftSummary, minCount: Int) -> String {
        let total = summary.scores.count
        let thin = summary.scores.filter { $0.verdict == .insufficientData }.map(\.feature)
        var rule = "correction \(summary.correction.rawValue)"
        if let share = summary.shareThreshold { rule += ", drift when a share ≥ \(number(share)) of the features drifted" }
        let features = "\(total) feature\(total == 1 ? "" : "s")"
        switch summary.verdict {
        case .drift:
            return "drift: \(summary.driftedFeatures.count) of \(features) drifted (\(summary.driftedFeatures.joined(separator: ", "))); \(rule)"
        case .noDrift:
            let drifted = summary.driftedFeatures.isEmpty ? "" : " (\(summary.driftedFeatures.count) drifted, below the share)"
            return "no drift in \(features)\(drifted); \(rule)"
        case .insufficientData:
            return "insufficient data: \(thin.count) of \(features) had fewer than \(minCount) values (\(thin.joined(separator: ", "))); no drift in the others; \(rule)"
        }
    }

    /// Four significant digits; small p-values in exponent form; "-" for none.
    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value != 0, abs(value) < 1e-4 { return String(format: "%.2e", value) }
        return String(format: "%.4g", value)
    }
}
