import Foundation
import SluiceCore

/// Files for `sluice drift` and `sluice baseline build`: CSV tables and baseline documents,
/// with errors that name the file and the line, column or field.
enum DriftInput {
    /// A problem with the input, already worded for the user (exit status 2).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One side of a comparison: a CSV table or a baseline.
    enum Source {
        case table(CSVTable)
        case baseline(DriftBaseline)

        /// Feature names in file order.
        var names: [String] {
            switch self {
            case .table(let table): return table.header
            case .baseline(let baseline): return baseline.featureNames
            }
        }

        /// The data of `name` for `test` (nil: auto), or nil when the feature has no values.
        func data(_ name: String, for test: DriftTest?) -> FeatureData? {
            switch self {
            case .table(let table):
                guard let column = table[name], column.count > 0 else { return nil }
                return column.featureData
            case .baseline(let baseline):
                return baseline[name]?.data(for: test)
            }
        }
    }

    /// A baseline when the name ends in `.json` or the content starts with `{`.
    static func looksLikeBaseline(_ path: String, _ bytes: FileBytes) -> Bool {
        if path.lowercased().hasSuffix(".json") { return true }
        let first = bytes.withUnsafeBytes { $0.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D } }
        return first == UInt8(ascii: "{")
    }

    static func table(_ path: String, _ bytes: FileBytes) throws(Failure) -> CSVTable {
        do {
            return try bytes.withUnsafeBytes { (buffer) throws(CSVError) in
                try CSVReader.read(buffer, file: path, progress: bytes.reading(at:))
            }
        } catch {
            throw Failure(description: error.description)
        }
    }

    static func baseline(_ path: String, _ bytes: FileBytes) throws(Failure) -> DriftBaseline {
        do {
            return try DriftBaseline(bytes: bytes.array)
        } catch {
            if let line = error.line, let column = error.column {
                throw Failure(description: "\(path):\(line):\(column): \(error.message)")
            }
            throw Failure(description: "\(path): \(error)")
        }
    }

    /// Reads a CSV file or a baseline.
    static func source(_ path: String) throws(Failure) -> Source {
        let bytes = try FileBytes(path: path)
        return looksLikeBaseline(path, bytes) ? .baseline(try baseline(path, bytes)) : .table(try table(path, bytes))
    }

    /// The CURRENT side, which must be a CSV file.
    static func currentTable(_ path: String) throws(Failure) -> CSVTable {
        let bytes = try FileBytes(path: path)
        guard !looksLikeBaseline(path, bytes) else {
            throw Failure(description: "\(path): CURRENT must be a CSV file (a baseline can only be the reference)")
        }
        return try table(path, bytes)
    }

    /// Reads the reference and the current file at the same time: parsing two large CSV files
    /// is nearly all of `sluice drift`'s time, and two cores halve it. A failure is reported as
    /// a reading one after the other would report it (the reference's first).
    static func sideBySide(reference: String, current: String) throws(Failure) -> (Source, CSVTable) {
        let results = SideBySideResults()
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            if side == 0 {
                results.reference = Result { () throws(Failure) in try source(reference) }
            } else {
                results.current = Result { () throws(Failure) in try currentTable(current) }
            }
        }
        // concurrentPerform returns once both sides have run.
        return (try results.reference!.get(), try results.current!.get())
    }

    /// Each side writes its own field from its own thread, and both are read only after
    /// `concurrentPerform` has joined them.
    private final class SideBySideResults: @unchecked Sendable {
        var reference: Result<Source, Failure>?
        var current: Result<CSVTable, Failure>?
    }

    /// `--columns a,b`: the names, trimmed; nil when not given.
    static func columns(_ option: String?) throws(Failure) -> [String]? {
        guard let option else { return nil }
        let names = option.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw Failure(description: "--columns: expected column names separated by commas") }
        return names
    }

    /// Prints `sluice <command>: message` on standard error.
    static func report(_ command: String, _ message: String) {
        FileHandle.standardError.write(Data("sluice \(command): \(message)\n".utf8))
    }
}
