import Foundation
import NIOCore
import SluiceCore

@testable import SluiceArtifacts

/// A TEST-ONLY artifact source: serves files from a local directory, so the cache and the
/// fetcher can be tested without a network. It is not a product source: the real peers
/// (moto, an HTTPS server, MLflow) are tested by their sources' own tests.
///
/// `https://test.invalid/<path>` names the file `<root>/<path>`; `s3://bucket/<prefix>/`
/// names every file under `<root>/<prefix>/`. It can be told to fail, to stall, to drop the
/// connection mid-file and to ignore ranges, and it counts what it was asked.
actor DirectorySource: ArtifactSource {
    let root: String
    /// Calls of `resolve` and `download`, and the offsets downloads were asked from.
    private(set) var resolves = 0
    private(set) var downloads = 0
    private(set) var offsets: [Int64] = []
    /// The next `count` downloads fail at once with `kind`.
    var failures: (count: Int, kind: ArtifactFetchError.Kind) = (0, .unavailable)
    /// The next `count` downloads send `bytes` bytes, then fail with `.connection`.
    var drops: (count: Int, bytes: Int) = (0, 0)
    /// The next `count` downloads send nothing and never end (until cancelled).
    var stalls = 0
    /// False: a download asked from an offset restarts from the first byte (`sink.restart()`).
    var supportsRanges = true
    /// Reported as the resolved fingerprint; nil: sizes and modification times.
    var fingerprint: String?
    /// Reported sizes are made `nil` (a server that does not announce them).
    var hideSizes = false
    /// While false, downloads wait before their first byte (to let concurrent callers pile up).
    var open = true

    init(root: String) {
        self.root = root
    }

    func set(_ change: @Sendable (isolated DirectorySource) -> Void) {
        change(self)
    }

    func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
        resolves += 1
        let relative: String
        switch reference {
        case .https(let url):
            guard url.hasPrefix("https://test.invalid/") else { throw ArtifactFetchError(.unsupported, "not a test URL") }
            // The query (a presigned URL's signature, in tests of redaction) names nothing here.
            relative = String(url.dropFirst("https://test.invalid/".count).prefix { $0 != "?" })
        case .s3(_, let key): relative = key
        default: throw ArtifactFetchError(.unsupported, "the test source serves https://test.invalid/ and s3:// only")
        }
        let path = "\(root)/\(relative)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArtifactFetchError(.notFound, "nothing at \(relative)")
        }
        var files: [ResolvedArtifact.File] = []
        if isDirectory.boolValue {
            let enumerator = FileManager.default.enumerator(atPath: path)
            while let name = enumerator?.nextObject() as? String {
                var sub: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(path)/\(name)", isDirectory: &sub), !sub.boolValue {
                    files.append(file(path: name, at: "\(path)/\(name)"))
                }
            }
        } else {
            files.append(file(path: "", at: path))
        }
        let print = fingerprint ?? files.map { "\($0.path):\($0.size ?? -1):\($0.etag ?? "")" }.sorted().joined(separator: ",")
        return ResolvedArtifact(reference: reference, files: files, archive: reference.isDirectory && !isDirectory.boolValue ? ArchiveFormat(url: relative) : nil, fingerprint: print)
    }

    private func file(path: String, at location: String) -> ResolvedArtifact.File {
        let attributes = try? FileManager.default.attributesOfItem(atPath: location)
        let size = (attributes?[.size] as? NSNumber)?.int64Value
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return ResolvedArtifact.File(path: path, location: location, size: hideSizes ? nil : size, etag: "\(size ?? 0)-\(modified)")
    }

    func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
        downloads += 1
        offsets.append(offset)
        while !open { try await Task.sleep(for: .milliseconds(5)) }
        if failures.count > 0 {
            failures.count -= 1
            throw ArtifactFetchError(failures.kind, "test failure")
        }
        if stalls > 0 {
            stalls -= 1
            try await Task.sleep(for: .seconds(3600))
        }
        var start = offset
        if !supportsRanges, offset > 0 {
            try await sink.restart()
            start = 0
        }
        var dropAfter: Int?
        if drops.count > 0 {
            drops.count -= 1
            dropAfter = drops.bytes
        }
        guard let handle = FileHandle(forReadingAtPath: file.location) else { throw ArtifactFetchError(.notFound, "gone") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(start))
        var sent = 0
        while true {
            var want = 64 * 1024
            if let dropAfter { want = min(want, dropAfter - sent) }
            if want <= 0 { throw ArtifactFetchError(.connection, "test: connection dropped after \(sent) bytes") }
            let chunk = try handle.read(upToCount: want) ?? Data()
            if chunk.isEmpty { return }
            try await sink.write(ByteBuffer(bytes: chunk))
            sent += chunk.count
        }
    }
}
