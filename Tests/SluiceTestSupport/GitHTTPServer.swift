import Foundation

/// A real git smart-HTTP server on loopback: `git http-backend` (git's own CGI program) behind
/// a small python3 server that demands HTTP Basic auth with one username and token. Clones,
/// fetches and pushes through it succeed or fail exactly as they would against a hosted git
/// service that checks a token.
///
/// The token reaches the server through a file, never its argv. Every request is recorded
/// (method, path, whether its credentials were missing, right or wrong, and the status), never
/// the credentials themselves.
public final class GitHTTPServer: @unchecked Sendable {
    /// What the server saw of one request.
    public struct Request: Sendable, Decodable {
        /// How a request's `Authorization` compared with the expected credentials.
        public enum Authorization: String, Sendable, Decodable {
            /// No `Authorization` header.
            case none
            /// The expected username and token.
            case ok
            /// Credentials, but not the expected ones.
            case wrong
        }
        /// `GET` or `POST`.
        public var method: String
        /// The path and query, as requested.
        public var path: String
        /// How its credentials compared.
        public var authorization: Authorization
        /// The status the server answered with.
        public var status: Int

        enum CodingKeys: String, CodingKey {
            case method, path, status
            case authorization = "auth"
        }
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// The directory served (`GIT_PROJECT_ROOT`).
    public let root: URL
    /// The username it expects.
    public let username: String
    private let process: SpawnedProcess
    private let directory: URL
    private let requestLog: URL

    /// Starts a server that accepts `username` with `token` and nothing else.
    public init(username: String, token: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-git-http-\(UUID().uuidString)")
        root = directory.appendingPathComponent("repositories")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.username = username
        let script = directory.appendingPathComponent("git_http_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let tokenFile = directory.appendingPathComponent("server-token")
        try token.write(to: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile.path, 0o600)
        requestLog = directory.appendingPathComponent("requests.jsonl")
        _ = FileManager.default.createFile(atPath: requestLog.path, contents: nil)
        let output = directory.appendingPathComponent("server.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script.path, "--root", root.path, "--user", username, "--token-file", tokenFile.path,
            "--log", requestLog.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // The script prints its port once it listens; poll for it without holding a thread.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var found: Int?
        while found == nil {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("port ") }) {
                found = Int(line.dropFirst("port ".count))
            } else if !process.isRunning || clock.now > deadline {
                process.signal(SIGKILL)
                throw FixtureError(message: "the git HTTP server did not start: \(text)")
            } else {
                do {
                    try await Task.sleep(for: .milliseconds(20))
                } catch {
                    process.signal(SIGKILL)
                    throw error
                }
            }
        }
        port = found ?? 0
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the server (SIGKILL, no wait: nothing that follows needs it gone).
    public func stop() {
        if process.isRunning { process.signal(SIGKILL) }
    }

    /// The URL of the repository `name` (no credentials in it).
    public func url(_ name: String = "models.git") -> String {
        "http://127.0.0.1:\(port)/\(name)"
    }

    /// Creates a bare repository `name` that accepts pushes over HTTP. The fixture drives it
    /// with the git command line (and removes it with the server's directory).
    public func createRepository(_ name: String = "models.git", branch: String = "main") throws -> GitFixture {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let repository = GitFixture(existing: url)
        try repository.git(["init", "-q", "--bare", "-b", branch])
        try repository.git(["config", "http.receivepack", "true"])
        return repository
    }

    /// Every request seen so far, in order.
    public func requests() throws -> [Request] {
        let text = try String(contentsOf: requestLog, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// The server's own output (startup errors, git-http-backend's stderr).
    public func output() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("server.out"), encoding: .utf8)) ?? ""
    }

    static let script = #"""
        import argparse, base64, ctypes, hmac, http.server, json, os, signal, subprocess, sys, threading, urllib.parse

        parser = argparse.ArgumentParser()
        parser.add_argument("--root", required=True)
        parser.add_argument("--user", required=True)
        parser.add_argument("--token-file", required=True)
        parser.add_argument("--log", required=True)
        args = parser.parse_args()

        # Die with the test process, even when it is killed.
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except Exception:
            pass

        with open(args.token_file) as f:
            token = f.readline().strip()
        expected = "Basic " + base64.b64encode(f"{args.user}:{token}".encode()).decode()
        exec_path = subprocess.check_output(["git", "--exec-path"]).decode().strip()
        backend = os.path.join(exec_path, "git-http-backend")
        log_lock = threading.Lock()


        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *values):
                pass

            def record(self, auth, status):
                entry = {"method": self.command, "path": self.path, "auth": auth, "status": status}
                with log_lock, open(args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")

            def read_body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def reply(self, status, headers, body):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def serve(self):
                body = self.read_body()
                given = self.headers.get("Authorization")
                if given is None:
                    auth = "none"
                elif hmac.compare_digest(given.encode(), expected.encode()):
                    auth = "ok"
                else:
                    auth = "wrong"
                if auth != "ok":
                    self.record(auth, 401)
                    # An empty body: libgit2 1.5 fails to parse the next response after a 401
                    # whose body is not empty ("http parser error: invalid constant string").
                    self.reply(401, [("WWW-Authenticate", 'Basic realm="sluice-test"')], b"")
                    return
                path, _, query = self.path.partition("?")
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "GIT_PROJECT_ROOT": args.root,
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "REMOTE_USER": args.user,
                    "REMOTE_ADDR": self.client_address[0],
                    "REQUEST_METHOD": self.command,
                    "PATH_INFO": urllib.parse.unquote(path),
                    "QUERY_STRING": query,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "GATEWAY_INTERFACE": "CGI/1.1",
                    "SERVER_PROTOCOL": "HTTP/1.1",
                }
                if self.headers.get("Content-Encoding"):
                    env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
                if self.headers.get("Git-Protocol"):
                    env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
                result = subprocess.run([backend], input=body, env=env, capture_output=True)
                sys.stderr.buffer.write(result.stderr)
                sys.stderr.flush()
                head, separator, rest = result.stdout.partition(b"\r\n\r\n")
                if not separator:
                    head, separator, rest = result.stdout.partition(b"\n\n")
                status, headers = 200, []
                for line in head.decode("latin-1").splitlines():
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.record(auth, status)
                self.reply(status, headers, rest)

            do_GET = serve
            do_POST = serve


        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        print(f"port {server.server_address[1]}", flush=True)
        server.serve_forever()
        """#
}
