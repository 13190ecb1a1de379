import Foundation
import SluiceServe

/// A real HTTPS server on a kernel-chosen loopback port: a small Python `http.server` wrapped
/// in TLS with a certificate from a throwaway CA made by `openssl` (``caFile``; it names
/// `127.0.0.1` and `localhost`, two hosts for cross-host redirects). It serves the files
/// under ``files`` with strong ETags, `Range` and `If-Range`, and scripted ``Route``s:
/// redirects, refused HEADs, statuses, stalls and truncated bodies. Every request is logged
/// (method, path, Host, Authorization, Range, Accept, X-GitHub-Api-Version) for ``requests()``. A POST is answered 200 (or
/// its route's `status`) and logged with its body and the status answered.
///
/// ```swift
/// let server = try await LoopbackHTTPSServer()
/// defer { server.stop() }
/// try Data("model".utf8).write(to: server.files.appendingPathComponent("model.bin"))
/// // fetch server.url("/model.bin") trusting server.caFile
/// ```
public final class LoopbackHTTPSServer: Sendable {
    /// What a path answers instead of its file.
    public enum Route: Sendable {
        /// `status` with `Location: location`.
        case redirect(to: String, status: Int = 302)
        /// HEAD answers 405; GET serves the file.
        case refuseHead
        /// Only this status, with an empty body.
        case status(Int)
        /// Waits this many seconds before answering.
        case stall(seconds: Double)
        /// The first `times` GETs announce the full length but send half and close.
        case truncate(times: Int)
        /// Serves the file with a weak ETag (`W/"…"`).
        case weakETag
        /// GET answers without Content-Length: the body ends when the connection closes.
        case closeDelimited
    }

    /// One request the server received.
    public struct Request: Sendable, Decodable {
        public var method: String
        public var path: String
        public var host: String?
        public var authorization: String?
        /// The `Accept` and `X-GitHub-Api-Version` headers (the git hosts' APIs).
        public var accept: String?
        public var githubAPIVersion: String?
        public var range: String?
        /// A POST's body (text).
        public var body: String?
        /// The status a POST was answered.
        public var status: Int?
    }

    /// The temporary directory (certificates, script, log, files).
    public let directory: URL
    /// Files served: `GET /a/b` answers `files/a/b`.
    public let files: URL
    /// The throwaway CA that signed the server's certificate (PEM).
    public let caFile: String
    /// Another CA (PEM) that did not sign it: a config trusting only this must fail TLS.
    public let untrustedCAFile: String
    /// The port, on 127.0.0.1.
    public let port: Int
    /// Signalled and reaped only through its owner (a late kill could hit a recycled pid).
    private let child: OwnedChild

    /// Makes the CAs and certificate, starts the server and waits for its port.
    public init(timeout: Duration = .seconds(20)) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-https-\(UUID().uuidString)")
        files = directory.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        caFile = directory.appendingPathComponent("ca.pem").path
        untrustedCAFile = directory.appendingPathComponent("other-ca.pem").path
        do {
            try await Self.makeCertificates(in: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let script = directory.appendingPathComponent("server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let portFile = directory.appendingPathComponent("port")
        let log = directory.appendingPathComponent("server.log").path
        let request = SpawnRequest(
            command: [Self.python, "-u", script.path, directory.path, portFile.path],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/"],
            workingDirectory: directory.path, logPath: log)
        let started: Int32
        do {
            started = try await ProcessSpawner.shared.spawn(request)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw FixtureError(message: "cannot start the HTTPS server: \(error)")
        }
        child = OwnedChild(started)
        let deadline = ContinuousClock.now + timeout
        var found: Int?
        while found == nil {
            found = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard found == nil else { break }
            if child.tryReap() != nil || ContinuousClock.now > deadline {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                child.signal(SIGKILL)
                child.waitAndReap()
                try? FileManager.default.removeItem(at: directory)
                throw FixtureError(message: "the HTTPS server did not start; log:\n\(text.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        port = found ?? 0
    }

    deinit { stop() }

    /// The system's python3 when there is one (a version manager's shim costs a second per
    /// start on a loaded machine), else the first on PATH.
    public static var python: String {
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return "/usr/bin/python3" }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "python3"
    }

    /// `https://HOST:PORT/PATH` (`path` starts with `/`).
    public func url(_ path: String, host: String = "127.0.0.1") -> String {
        "https://\(host):\(port)\(path)"
    }

    /// Replaces the scripted routes (read by the server at each request).
    public func setRoutes(_ routes: [String: Route]) throws {
        var json: [String: [String: Any]] = [:]
        for (path, route) in routes {
            switch route {
            case .redirect(let location, let status): json[path] = ["redirect": location, "status": status]
            case .refuseHead: json[path] = ["nohead": true]
            case .status(let status): json[path] = ["status": status]
            case .stall(let seconds): json[path] = ["stall": seconds]
            case .truncate(let times): json[path] = ["truncate": times]
            case .weakETag: json[path] = ["weak": true]
            case .closeDelimited: json[path] = ["nolength": true]
            }
        }
        let data = try JSONSerialization.data(withJSONObject: json)
        try data.write(to: directory.appendingPathComponent("routes.json"), options: .atomic)
    }

    /// The requests received so far, in order.
    public func requests() -> [Request] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Ends the server (SIGKILL) and removes the directory. Idempotent.
    public func stop() {
        defer { try? FileManager.default.removeItem(at: directory) }
        guard child.signal(SIGKILL) else { return }
        child.waitAndReap()
    }

    // MARK: - Certificates

    private static func makeCertificates(in directory: URL) async throws {
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let caExtensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        let steps: [[String]] = [
            ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Sluice test CA"] + caExtensions,
            ["req", "-x509"] + ec + ["-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=Sluice other CA"] + caExtensions,
            ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
        ]
        for step in steps {
            let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/openssl"), step, in: directory)
            guard result.status == 0 else { throw FixtureError(message: "openssl \(step.prefix(2).joined(separator: " ")) failed: \(result.output)") }
        }
    }

    // MARK: - The server

    private static let script = #"""
    import email.utils, hashlib, http.server, json, os, ssl, sys, threading, time

    root, port_file = sys.argv[1], sys.argv[2]
    files = os.path.join(root, "files")
    lock = threading.Lock()
    truncated = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def finish(self):
            super().finish()
            if getattr(self, "clean_close", False):
                try:
                    self.connection.unwrap()  # close_notify: a close-delimited body ends cleanly
                except OSError:
                    pass

        def do_HEAD(self):
            self.serve(False)

        def do_GET(self):
            self.serve(True)

        def do_POST(self):
            # Records the body; answers the route's status, else 200.
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
            try:
                with open(os.path.join(root, "routes.json")) as f:
                    route = json.load(f).get(self.path.split("?", 1)[0], {})
            except FileNotFoundError:
                route = {}
            status = route.get("status", 200)
            entry = {"method": "POST", "path": self.path, "host": self.headers.get("Host"),
                     "authorization": self.headers.get("Authorization"), "body": body, "status": status,
                     "accept": self.headers.get("Accept"), "githubAPIVersion": self.headers.get("X-GitHub-Api-Version")}
            with lock:
                with open(os.path.join(root, "requests.jsonl"), "a") as log:
                    log.write(json.dumps(entry) + "\n")
            self.empty(status)

        def empty(self, status, headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def serve(self, with_body):
            entry = {"method": self.command, "path": self.path, "host": self.headers.get("Host"),
                     "authorization": self.headers.get("Authorization"), "range": self.headers.get("Range"),
                     "accept": self.headers.get("Accept"), "githubAPIVersion": self.headers.get("X-GitHub-Api-Version")}
            with lock:
                with open(os.path.join(root, "requests.jsonl"), "a") as log:
                    log.write(json.dumps(entry) + "\n")
            path = self.path.split("?", 1)[0]
            try:
                with open(os.path.join(root, "routes.json")) as f:
                    route = json.load(f).get(path, {})
            except FileNotFoundError:
                route = {}
            if "redirect" in route:
                return self.empty(route["status"], [("Location", route["redirect"])])
            if route.get("nohead") and not with_body:
                return self.empty(405)
            if "status" in route:
                return self.empty(route["status"])
            if "stall" in route:
                time.sleep(route["stall"])
            full = os.path.realpath(os.path.join(files, path.lstrip("/")))
            if not full.startswith(os.path.realpath(files) + os.sep) or not os.path.isfile(full):
                return self.empty(404)
            with open(full, "rb") as f:
                data = f.read()
            etag = '"%s"' % hashlib.sha256(data).hexdigest()[:24]
            start, end, status = 0, len(data), 200
            wanted, if_range = self.headers.get("Range"), self.headers.get("If-Range")
            if wanted and wanted.startswith("bytes=") and (if_range is None or if_range == etag):
                first, last = wanted[6:].split("-", 1)
                start = int(first)
                end = min(len(data), int(last) + 1) if last else len(data)
                if start >= len(data):
                    return self.empty(416, [("Content-Range", "bytes */%d" % len(data))])
                status = 206
            self.send_response(status)
            if route.get("nolength") and with_body:
                self.send_header("Connection", "close")
                self.close_connection = True
                self.clean_close = True
            else:
                self.send_header("Content-Length", str(end - start))
            self.send_header("ETag", ("W/" if route.get("weak") else "") + etag)
            self.send_header("Last-Modified", email.utils.formatdate(os.path.getmtime(full), usegmt=True))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
            self.end_headers()
            if not with_body:
                return
            body = data[start:end]
            with lock:
                cut = truncated.get(path, 0) < route.get("truncate", 0)
                if cut:
                    truncated[path] = truncated.get(path, 0) + 1
            if cut:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(root, "server.pem"), os.path.join(root, "server.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()
    """#
}
