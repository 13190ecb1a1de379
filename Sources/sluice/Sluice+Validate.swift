import ArgumentParser
import Dispatch
import Foundation
import SluiceCore

extension Sluice {
    /// `sluice validate`: checks manifests for CI, reporting every error in one run.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Validate ModelDeployment manifests.",
            discussion: """
                Reads files, or directories recursively (*.yaml, *.yml), and reports every error and \
                warning with its file, line and column. Warnings (an artifact that can change but has no \
                digest: pin, one only a cluster runtime fetches, a shadow step that no check judges) leave \
                the files valid unless --strict. \
                Exit status: 0 all valid, 1 invalid (or any warning with --strict, or an artifact check \
                failed), 2 usage or I/O error.
                """
        )

        @Argument(help: "Manifest files or directories (default: the current directory).", completion: .file())
        var paths: [String] = []

        @Option(help: "Report format: text, json or github (GitHub Actions annotations).")
        var format: OutputFormat = .text

        @Flag(name: .shortAndLong, help: "Print nothing when every file is valid (text format).")
        var quiet = false

        @Option(
            name: .customLong("files-from"),
            help: ArgumentHelp(
                "Also read paths, one per line, from this file ('-' for standard input).",
                discussion: "For lists longer than a command line may be.",
                valueName: "file"),
            completion: .file())
        var filesFrom: String?

        @Flag(help: "Treat warnings as errors (exit 1 when there is any).")
        var strict = false

        @Flag(
            name: .customLong("check-artifacts"),
            help: ArgumentHelp(
                "Also check every artifact: fetch remote ones (s3://, https://, models:/) and read files in the repository, and compare each with its digest: pin.",
                discussion: "Paths in the repository are read from the working tree of the git repository holding the manifest (else the current directory)."))
        var checkArtifacts = false

        @Option(help: ArgumentHelp("With --check-artifacts: the config whose controller.artifacts says how to fetch.", valueName: "file"), completion: .file(extensions: ["yaml", "yml"]))
        var config: String?

        func run() async throws {
            if config != nil && !checkArtifacts {
                FileHandle.standardError.write(Data("sluice validate: --config is read only with --check-artifacts\n".utf8))
                throw ExitCode(2)
            }
            let files: [ManifestFinder.Found]
            do {
                var named = paths
                if let filesFrom { named += try Self.readPathList(filesFrom) }
                files = try ManifestFinder.files(in: named.isEmpty && filesFrom == nil ? ["."] : named)
            } catch {
                FileHandle.standardError.write(Data("sluice validate: \(error)\n".utf8))
                throw ExitCode(2)
            }
            guard !files.isEmpty else {
                let named = paths.isEmpty ? "the current directory" : paths.joined(separator: ", ")
                FileHandle.standardError.write(Data("sluice validate: no *.yaml or *.yml files in \(named)\n".utf8))
                throw ExitCode(2)
            }
            var outcome = Self.validate(files)
            if !outcome.unreadable.isEmpty {
                for message in outcome.unreadable {
                    FileHandle.standardError.write(Data("sluice validate: \(message)\n".utf8))
                }
            }
            if checkArtifacts {
                let checked = await ArtifactChecker.check(outcome.files, found: files, configPath: config)
                outcome.files = checked.files
                outcome.sources = outcome.sources.adding(checked.texts)
            }
            if strict {
                for index in outcome.files.indices {
                    outcome.files[index].diagnostics = outcome.files[index].diagnostics.map { diagnostic in
                        var promoted = diagnostic
                        promoted.severity = .error
                        return promoted
                    }
                }
            }
            let report = ValidationReport(files: outcome.files)
            let sources = outcome.sources
            let renderer = DiagnosticRenderer(format: format) { file, line in sources.line(line, of: file) }
            let output = renderer.render(report)
            if !(quiet && report.isValid && format == .text) {
                FileHandle.standardOutput.write(Data(output.utf8))
            }
            if !outcome.unreadable.isEmpty { throw ExitCode(2) }
            if !report.isValid { throw ExitCode(1) }
        }

        /// The non-empty lines of a path list file, or of standard input for `-`.
        static func readPathList(_ source: String) throws(ManifestFinder.Failure) -> [String] {
            let data: Data?
            if source == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                data = FileManager.default.contents(atPath: source)
            }
            guard let data else { throw ManifestFinder.Failure(description: "\(source): cannot read the path list") }
            return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        }

        /// Reads and validates the files on every core; keeps the text of files with diagnostics.
        /// Files with aliases are validated afterwards, in path order, under one shared
        /// alias budget (so many small alias bombs cannot add up).
        static func validate(_ found: [ManifestFinder.Found]) -> (files: [ManifestFile], sources: SourceCache, unreadable: [String]) {
            let validator = ManifestValidator(decodesModels: false, artifactWarnings: true, rolloutWarnings: true)
            let limits = validator.limits
            let results = UnsafeMutableBufferPointer<Slot>.allocate(capacity: found.count)
            results.initialize(repeating: .empty)
            defer { results.deallocate() }
            nonisolated(unsafe) let slots = results
            DispatchQueue.concurrentPerform(iterations: found.count) { index in
                let path = found[index].path
                switch ManifestSource.contents(of: path, root: found[index].root, maxBytes: limits.maxFileBytes) {
                case .success(let bytes):
                    let composed = validator.compose(bytes: bytes, path: path)
                    if composed.aliasNodes > 0 {
                        slots[index] = .aliased(composed, bytes)
                    } else {
                        var budget = AliasBudget(limits: limits)
                        let file = validator.validate(composed, budget: &budget)
                        slots[index] = .validated(file, file.diagnostics.isEmpty ? nil : bytes)
                    }
                case .failure(.tooLarge(let size)):
                    let diagnostic = limits.oversizedDiagnostic(file: path, size: size)
                    slots[index] = .validated(ManifestFile(path: path, entries: [], diagnostics: [diagnostic]), nil)
                case .failure(.unreadable(let reason)):
                    slots[index] = .unreadable("\(path): \(reason)")
                case .failure(let refusal):
                    let diagnostic = Diagnostic(file: path, location: .start, code: .pathEscape, message: refusal.message)
                    slots[index] = .validated(ManifestFile(path: path, entries: [], diagnostics: [diagnostic]), nil)
                }
            }
            var budget = AliasBudget(limits: limits)
            var files: [ManifestFile] = []
            var texts: [String: [UInt8]] = [:]
            var unreadable: [String] = []
            for slot in results {
                switch slot {
                case .empty:
                    continue
                case .validated(let file, let bytes):
                    files.append(file)
                    if let bytes { texts[file.path] = bytes }
                case .aliased(let composed, let bytes):
                    let file = validator.validate(composed, budget: &budget)
                    files.append(file)
                    if !file.diagnostics.isEmpty { texts[file.path] = bytes }
                case .unreadable(let message):
                    unreadable.append(message)
                }
            }
            return (files, SourceCache(texts: texts), unreadable)
        }

        /// One file's outcome of the parallel pass.
        enum Slot {
            case empty
            case validated(ManifestFile, [UInt8]?)
            case aliased(ComposedManifest, [UInt8])
            case unreadable(String)
        }
    }
}

/// The text of files that have diagnostics, for the source excerpt under each message.
struct SourceCache: Sendable {
    let texts: [String: [UInt8]]

    /// This cache with `more` texts (kept where both have one).
    func adding(_ more: [String: [UInt8]]) -> SourceCache {
        SourceCache(texts: texts.merging(more) { kept, _ in kept })
    }

    func line(_ number: Int, of file: String) -> String? {
        guard let bytes = texts[file], number >= 1 else { return nil }
        var current = 1
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if current == number { return Self.text(bytes[start..<index]) }
            current += 1
            start = index + 1
        }
        return current == number && start < bytes.count ? Self.text(bytes[start...]) : nil
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        var line = String(decoding: bytes, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        return line
    }
}

extension OutputFormat: ExpressibleByArgument {}
