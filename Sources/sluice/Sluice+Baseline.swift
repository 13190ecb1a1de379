import ArgumentParser
import Foundation
import SluiceCore

extension Sluice {
    /// `sluice baseline`: baseline files for drift monitors.
    struct BaselineCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "baseline",
            abstract: "Build baseline files (reference distributions) for drift monitors.",
            subcommands: [Build.self]
        )

        /// `sluice baseline build`: a baseline from a CSV file.
        struct Build: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "build",
                abstract: "Build a baseline from a CSV file.",
                discussion: """
                    Numeric columns get quantile bin edges and proportions (one bin per value when a column has at \
                    most --bins distinct values), and their raw values when there are at most --sample-limit of them; \
                    beyond that, a seeded uniform subsample of --sample-limit values plus a quantile sketch of every \
                    value. Categorical columns get their counts. Columns without values are left out. \
                    Without -o the baseline is printed. An existing output file with other content is replaced only \
                    with --force. Exit status: 0 written (or unchanged), 2 usage or input error.
                    """
            )

            @Argument(help: "The CSV file (header row, one column per feature).", completion: .file(extensions: ["csv"]))
            var data: String

            @Option(name: .shortAndLong, help: "Where to write the baseline (default: standard output).", completion: .file(extensions: ["json"]))
            var output: String?

            @Option(help: "Quantile bins per numeric column.")
            var bins = 10

            @Option(name: .customLong("sample-limit"), help: "Raw values kept per numeric column (0: none, sketch only beyond).")
            var sampleLimit = 10_000

            @Option(help: "Seed of the subsample and the sketch (the same seed rebuilds the same file).")
            var seed: UInt64 = 1

            @Option(help: ArgumentHelp("Only these columns (comma-separated).", valueName: "a,b"))
            var columns: String?

            @Flag(help: "Replace an existing output file whose content differs.")
            var force = false

            func run() throws {
                do {
                    try build()
                } catch {
                    DriftInput.report("baseline build", error.description)
                    throw ExitCode(2)
                }
            }

            private func build() throws(DriftInput.Failure) {
                guard bins >= 1 else { throw DriftInput.Failure(description: "--bins: expected a number ≥ 1") }
                guard sampleLimit >= 0 else { throw DriftInput.Failure(description: "--sample-limit: expected a number ≥ 0") }
                var table = try DriftInput.table(data, try FileBytes(path: data))
                if let named = try DriftInput.columns(columns) {
                    for name in named where table[name] == nil {
                        throw DriftInput.Failure(description: "--columns: '\(name)' is not a column of \(data) (\(table.header.joined(separator: ", ")))")
                    }
                    table.columns = table.columns.filter { named.contains($0.name) }
                }
                let baseline = DriftBaseline.build(from: table, bins: bins, sampleLimit: sampleLimit, seed: seed, source: data)
                guard !baseline.entries.isEmpty else { throw DriftInput.Failure(description: "\(data): no column has values") }
                let text = baseline.serialized()
                let skipped = table.columns.filter { $0.count == 0 }.map(\.name)
                guard let output else {
                    print(text, terminator: "")
                    FileHandle.standardError.write(Data(Self.summary(baseline, skipped: skipped, heading: "\(data): \(baseline.entries.count) features").utf8))
                    return
                }
                let url = URL(fileURLWithPath: output)
                var verb = "wrote"
                if let existing = FileManager.default.contents(atPath: output) {
                    if existing == Data(text.utf8) {
                        verb = "unchanged"
                    } else if !force {
                        throw DriftInput.Failure(description: "\(output) exists with other content; pass --force to replace it")
                    }
                }
                if verb == "wrote" {
                    do {
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try Data(text.utf8).write(to: url, options: .atomic)
                    } catch {
                        throw DriftInput.Failure(description: "\(output): cannot write: \(error.localizedDescription)")
                    }
                }
                let heading = "\(verb) \(output): \(baseline.entries.count) feature\(baseline.entries.count == 1 ? "" : "s") from \(data) (\(table.rowCount) rows)"
                print(Self.summary(baseline, skipped: skipped, heading: heading), terminator: "")
            }

            /// A heading, one line per feature and the columns left out.
            static func summary(_ baseline: DriftBaseline, skipped: [String], heading: String) -> String {
                let width = baseline.entries.map(\.name.count).max() ?? 0
                var text = heading + "\n"
                for feature in baseline.entries {
                    var line = "  " + feature.name + String(repeating: " ", count: width - feature.name.count + 2)
                    if feature.kind == .categorical {
                        line += "categorical  \(feature.count) values, \(feature.counts.count) categories"
                    } else {
                        line += "numeric      \(feature.count) values, \(feature.edges.count - 1) bins + under/overflow"
                        if let sample = feature.sample {
                            line += sample.count == feature.count ? ", every value kept" : ", a sample of \(sample.count)"
                        }
                        if feature.sketch != nil { line += ", a sketch of every value" }
                    }
                    if feature.missing > 0 { line += ", \(feature.missing) missing" }
                    text += line + "\n"
                }
                if !skipped.isEmpty { text += "left out (no values): \(skipped.joined(separator: ", "))\n" }
                return text
            }
        }
    }
}
