import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import SluiceConfig
import SluiceCore

/// `models:/NAME/VERSION` and `models:/NAME@ALIAS` from an MLflow tracking server, through its
/// REST API and its artifact proxy (`mlflow server` serves artifacts by default since 2.0).
///
/// Endpoints, as studied against a real MLflow 3.17.2 server (the version pinned in
/// scripts/setup-python-peers.sh; `mlflow server --backend-store-uri sqlite:… --artifacts-destination DIR`):
/// - `GET /api/2.0/mlflow/model-versions/get?name=&version=` (a version number) or
///   `GET /api/2.0/mlflow/registered-models/alias?name=&alias=` (an alias) answer
///   `{"model_version": {name, version, run_id, source, status, aliases…}}`. The alias call
///   answers the version it points at now, so the identity below follows a re-pointed alias.
///   A missing version or model is 404 `RESOURCE_DOES_NOT_EXIST`; an unknown alias of a known
///   model is 400 `INVALID_PARAMETER_VALUE`: both are `.notFound`.
/// - `source` is not a path since MLflow 3: it is `models:/m-<id>` (a logged model), and
///   `storage_location` is absent from the answer. So the files are found with
///   `GET /api/2.0/mlflow/model-versions/get-download-uri?name=&version=`, which answers the
///   URI the server itself downloads from: `mlflow-artifacts:/0/models/m-<id>/artifacts` when
///   its artifact proxy serves the store. Any other scheme (s3://, file://: a server without
///   the proxy) is refused with `.unsupported`; Sluice never reads a store directly.
/// - `GET /api/2.0/mlflow-artifacts/artifacts?path=<path>` lists one directory level,
///   `{"files": [{"path": "MLmodel", "is_dir": false, "file_size": 1071}, …]}` with paths relative
///   to the listed directory (basenames) and `{}` for an empty or missing one; it is walked
///   recursively. A sklearn model is `MLmodel`, `model.skops` (3.x's default; `model.pkl` with
///   the pickle formats), `conda.yaml`, `python_env.yaml`, `requirements.txt` and examples.
/// - `GET /api/2.0/mlflow-artifacts/artifacts/<path>` sends a file; with a local store it is
///   Flask's send_file, which honours `Range` (206 with `Content-Range`), so an interrupted
///   download resumes. A remote store is streamed through a temporary file without ranges:
///   a 200 to a range request restarts the sink.
///
/// The token (`tokenFile`, see ``MLflowToken``) is read for every request and sent as
/// `Authorization: Bearer`; the URL must be https (http only on loopback).
public struct MLflowSource: ArtifactSource {
    let http: MLflowHTTP

    /// The most files a model version may list, and the deepest directory walked: a model is
    /// a few files; more is a hostile or broken answer.
    static let maxFiles = 10_000
    static let maxDepth = 32
    /// A size above this (1 PiB) is not a model but a hostile answer.
    static let maxFileSize: Int64 = 1 << 50

    /// A source for the server at `config.url`, with the token in `config.tokenFile` (if any).
    /// Throws `.unsupported` for a URL that is not https (http only to a loopback host).
    public init(config: ArtifactsConfig.MLflow, timeout: SluiceCore.Duration, client: HTTPClient) throws {
        http = MLflowHTTP(
            client: client, endpoint: try MLflowEndpoint(config.url), token: config.tokenFile.map { MLflowToken(path: $0) },
            timeout: timeout)
    }

    public func resolve(_ reference: ArtifactReference) async throws -> ResolvedArtifact {
        guard case .mlflow(let name, let selector) = reference else {
            throw ArtifactFetchError(.unsupported, "the MLflow source reads only models:/ references")
        }
        let asked = Self.display(name: name, selector: selector)
        let version = try await modelVersion(name: name, selector: selector, asked: asked)
        // The answer must be the model asked for, and a version number (the one asked for, when it was).
        guard version.name == nil || version.name == name, let number = version.version, (1...19).contains(number.count),
              number.allSatisfy({ $0.isASCII && $0.isNumber }), Self.matches(selector, number)
        else {
            throw ArtifactFetchError(.badResponse, "\(asked): the MLflow server answered a model version that is not the one asked for")
        }
        let what = "models:/\(ArtifactFetchError.printable(name))/\(number)"
        let root = try await artifactRoot(name: name, version: number, what: what)
        var files: [ResolvedArtifact.File] = []
        try await list(root: root, relative: "", depth: 0, into: &files, what: what)
        guard !files.isEmpty else {
            throw ArtifactFetchError(.notFound, "\(what): the MLflow server lists no files for this model version")
        }
        files.sort { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        return ResolvedArtifact(
            reference: reference, files: files,
            fingerprint: Self.fingerprint(name: name, version: number, details: version, root: root, files: files))
    }

    public func download(_ file: ResolvedArtifact.File, from offset: Int64, into sink: any ArtifactSink) async throws {
        let what = "MLflow artifact \(ArtifactFetchError.printable(file.location))"
        if let size = file.size, offset >= size, offset > 0 {
            guard offset == size else { throw ArtifactFetchError(.badResponse, "\(what): resuming at \(offset) past its \(size) bytes") }
            return
        }
        let response = try await http.send(
            http.endpoint.artifactURL(file.location), headers: offset > 0 ? [("Range", "bytes=\(offset)-")] : [], what: what)
        var written: Int64
        switch response.status.code {
        case 206 where offset > 0:
            guard Self.rangeStart(response.headers.first(name: "Content-Range")) == offset else {
                throw ArtifactFetchError(.badResponse, "\(what): the server answered a range that does not start at byte \(offset)")
            }
            written = offset
        case 200:
            if offset > 0 { try await sink.restart() }
            written = 0
        default:
            let body = (try? await response.body.collect(upTo: MLflowHTTP.maxJSONBytes)).map { Data($0.readableBytesView) } ?? Data()
            throw http.failure(response.status, body: body, what: what, notFound: "\(what): the MLflow artifact proxy has no such file")
        }
        let limit = file.size ?? Self.maxFileSize
        let counter = ByteCounter(value: written)
        try await http.stream(response, what: what) { chunk in
            guard await counter.add(Int64(chunk.readableBytes)) <= limit else {
                throw ArtifactFetchError(.badResponse, "\(what): the server sent more than the \(limit) bytes it listed")
            }
            try await sink.write(chunk)
        }
        written = await counter.value
        if let size = file.size, written != size {
            throw ArtifactFetchError(.badResponse, "\(what): the server sent \(written) bytes, its listing said \(size)")
        }
    }

    // MARK: - Resolving

    /// True unless `selector` asked for a version number other than `number`.
    static func matches(_ selector: ArtifactReference.MLflowSelector, _ number: String) -> Bool {
        if case .version(let asked) = selector { return String(asked) == number }
        return true
    }

    /// `models:/NAME/VERSION` or `models:/NAME@ALIAS`, as the user wrote it.
    static func display(name: String, selector: ArtifactReference.MLflowSelector) -> String {
        switch selector {
        case .version(let number): return "models:/\(ArtifactFetchError.printable(name))/\(number)"
        case .alias(let alias): return "models:/\(ArtifactFetchError.printable(name))@\(ArtifactFetchError.printable(alias))"
        }
    }

    private func modelVersion(
        name: String, selector: ArtifactReference.MLflowSelector, asked: String
    ) async throws -> MLflowModelVersion {
        let answer: MLflowModelVersionAnswer
        switch selector {
        case .version(let number):
            answer = try await http.getJSON(
                http.endpoint.url("/api/2.0/mlflow/model-versions/get", query: [("name", name), ("version", String(number))]),
                as: MLflowModelVersionAnswer.self, what: asked,
                notFound: "\(asked): the MLflow registry has no such model version (no model '\(ArtifactFetchError.printable(name))' or no version \(number))")
        case .alias(let alias):
            answer = try await http.getJSON(
                http.endpoint.url("/api/2.0/mlflow/registered-models/alias", query: [("name", name), ("alias", alias)]),
                // An unknown alias of a known model is 400 INVALID_PARAMETER_VALUE, not 404.
                as: MLflowModelVersionAnswer.self, what: asked, missing: [.resourceDoesNotExist, .invalidParameterValue],
                notFound: "\(asked): the MLflow registry has no model '\(ArtifactFetchError.printable(name))' with the alias '\(ArtifactFetchError.printable(alias))'")
        }
        guard let version = answer.model_version else {
            throw ArtifactFetchError(.badResponse, "\(asked): the MLflow server's answer holds no model_version")
        }
        return version
    }

    /// The version's directory behind the artifact proxy (`1/models/m-…/artifacts`).
    private func artifactRoot(name: String, version: String, what: String) async throws -> String {
        let answer = try await http.getJSON(
            http.endpoint.url("/api/2.0/mlflow/model-versions/get-download-uri", query: [("name", name), ("version", version)]),
            as: MLflowDownloadURIAnswer.self, what: what, notFound: "\(what): the MLflow registry has no such model version")
        guard let uri = answer.artifact_uri, !uri.isEmpty else {
            throw ArtifactFetchError(.badResponse, "\(what): the MLflow server gave no artifact_uri for the version")
        }
        return try MLflowArtifactURI.proxyPath(uri, what: what)
    }

    /// Appends the files under `root/relative`, walking directories.
    private func list(root: String, relative: String, depth: Int, into files: inout [ResolvedArtifact.File], what: String) async throws {
        guard depth <= Self.maxDepth else {
            throw ArtifactFetchError(.badResponse, "\(what): the model's directories nest deeper than \(Self.maxDepth) levels")
        }
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        let answer = try await http.getJSON(
            http.endpoint.url("/api/2.0/mlflow-artifacts/artifacts", query: [("path", directory)]),
            as: MLflowListAnswer.self, what: what, notFound: "\(what): the MLflow artifact proxy has no directory for this model version")
        for entry in answer.files ?? [] {
            guard let listed = entry.path else {
                throw ArtifactFetchError(.badResponse, "\(what): the artifact listing has an entry without a path")
            }
            // The proxy answers paths relative to the listed directory; one segment each.
            guard let segment = try? ResolvedArtifact.File.checkedPath(listed), !segment.contains("/") else {
                throw ArtifactFetchError(.unsafePath, "\(what): the artifact listing of '\(ArtifactFetchError.printable(directory))' names '\(ArtifactFetchError.printable(listed))', not an entry of that directory")
            }
            let path = relative.isEmpty ? segment : "\(relative)/\(segment)"
            if entry.is_dir == true {
                try await list(root: root, relative: path, depth: depth + 1, into: &files, what: what)
                continue
            }
            guard let size = entry.file_size?.value, size >= 0, size <= Self.maxFileSize else {
                throw ArtifactFetchError(.badResponse, "\(what): the artifact listing gives '\(ArtifactFetchError.printable(path))' no plausible size")
            }
            guard files.count < Self.maxFiles else {
                throw ArtifactFetchError(.badResponse, "\(what): the model version lists more than \(Self.maxFiles) files")
            }
            guard !files.contains(where: { $0.path == path }) else {
                throw ArtifactFetchError(.badResponse, "\(what): the artifact listing names '\(ArtifactFetchError.printable(path))' twice")
            }
            files.append(ResolvedArtifact.File(path: path, location: "\(root)/\(path)", size: size))
        }
    }

    /// The version's identity: name, number, run, source, where its files are and their
    /// sizes. An alias re-pointed to another version changes it; so does a version whose
    /// files changed size under it.
    static func fingerprint(name: String, version: String, details: MLflowModelVersion, root: String, files: [ResolvedArtifact.File]) -> String {
        var text = "mlflow-v1\nname \(name)\nversion \(version)\nrun \(details.run_id ?? "")\nsource \(details.source ?? "")\nroot \(root)\n"
        for file in files { text += "\(file.size ?? -1) \(file.path)\n" }
        return "mlflow:" + SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The first byte of `Content-Range: bytes FIRST-LAST/TOTAL`.
    static func rangeStart(_ header: String?) -> Int64? {
        guard let header, header.hasPrefix("bytes ") else { return nil }
        return Int64(header.dropFirst("bytes ".count).prefix { $0.isNumber })
    }
}

/// Bytes streamed so far, shared with the body's task.
private actor ByteCounter {
    var value: Int64
    init(value: Int64) { self.value = value }
    func add(_ count: Int64) -> Int64 {
        value += count
        return value
    }
}
