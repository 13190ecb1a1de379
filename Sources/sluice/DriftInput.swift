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

    /// The whole file, read into one array sized for it: going through `Data` held every
    /// byte twice, and `sluice drift` reads both of its files at the same time. Pipes and process
    /// substitutions (`<(…)`) are read to their end like files.
    static func bytes(_ path: String) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw Failure(description: "\(path): \(errno == ENOENT ? "no such file" : "cannot read the file")")
        }
        defer { close(descriptor) }
        var status = stat()
        let size = fstat(descriptor, &status) == 0 && status.st_mode & S_IFMT == S_IFREG ? Int(status.st_size) : 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got == 0 { return bytes }
            if got > 0 {
                bytes.append(contentsOf: chunk[..<got])
            } else if errno != EINTR {
                throw Failure(description: "\(path): cannot read the file")
            }
        }
    }

    /// A baseline when the name ends in `.json` or the content starts with `{`.
    static func looksLikeBaseline(_ path: String, _ bytes: [UInt8]) -> Bool {
        if path.lowercased().hasSuffix(".json") { return true }
        let first = bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        return first == UInt8(ascii: "{")
    }

    static func table(_ path: String, _ bytes: [UInt8]) throws(Failure) -> CSVTable {
        do {
            return try CSVReader.read(bytes, file: path)
        } catch {
            throw Failure(description: error.description)
        }
    }

    static func baseline(_ path: String, _ bytes: [UInt8]) throws(Failure) -> DriftBaseline {
        do {
            return try DriftBaseline(bytes: bytes)
        } catch {
            if let line = error.line, let column = error.column {
                throw Failure(description: "\(path):\(line):\(column): \(error.message)")
            }
            throw Failure(description: "\(path): \(error)")
        }
    }

    /// Reads a CSV file or a baseline.
    static func source(_ path: String) throws(Failure) -> Source {
        let bytes = try bytes(path)
        return looksLikeBaseline(path, bytes) ? .baseline(try baseline(path, bytes)) : .table(try table(path, bytes))
    }

    /// The CURRENT side, which must be a CSV file.
    static func currentTable(_ path: String) throws(Failure) -> CSVTable {
        let bytes = try bytes(path)
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
