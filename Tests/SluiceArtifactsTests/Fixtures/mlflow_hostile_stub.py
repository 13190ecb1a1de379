"""A loopback stub of the MLflow REST API and artifact proxy that answers what a broken or
hostile server might, for MLflowHostileTests. Standard library only (system python3).

  mlflow_hostile_stub.py SEEN_FILE

Listens on a kernel-chosen port and prints "port N" on its first line. The registered model's
NAME picks the scenario: the version's artifact URI is mlflow-artifacts:/NAME, so listings and
downloads see it as their first path segment. Every request's Authorization header is appended
to SEEN_FILE (one line, "-" when absent). Under NAME "stale" a connection's second and later
requests are not answered: the connection is closed ("closed" in SEEN_FILE), as a server
closing an idle kept-alive connection does when a request crosses the close. Range requests are ignored (always 200): the source
must restart.
"""

import http.server
import json
import sys
import time
import urllib.parse

SEEN = sys.argv[1]

LISTINGS = {
    "good": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}, {"path": "sub", "is_dir": True}]},
    "good/sub": {"files": [{"path": "model.pkl", "is_dir": False, "file_size": "3"}]},
    "dotdot": {"files": [{"path": "../evil", "is_dir": False, "file_size": 1}]},
    "dotdotdir": {"files": [{"path": "..", "is_dir": True}]},
    "slash": {"files": [{"path": "a/b", "is_dir": False, "file_size": 1}]},
    "absolute": {"files": [{"path": "/etc/passwd", "is_dir": False, "file_size": 1}]},
    "huge": {"files": [{"path": "model.pkl", "is_dir": False, "file_size": 1 << 60}]},
    "overflow": {"files": [{"path": "model.pkl", "is_dir": False, "file_size": "99999999999999999999999"}]},
    "negative": {"files": [{"path": "model.pkl", "is_dir": False, "file_size": -1}]},
    "nosize": {"files": [{"path": "model.pkl", "is_dir": False}]},
    "empty": {},
    "oversend": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}]},
    "short": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 50}]},
    "twice": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}, {"path": "MLmodel", "is_dir": False, "file_size": 5}]},
    "badlisting": "not json",
    "stall": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}]},
    "stale": {"files": [{"path": "MLmodel", "is_dir": False, "file_size": 5}]},
}

BODIES = {"good/MLmodel": b"hello", "good/sub/model.pkl": b"pkl", "oversend/MLmodel": b"hello, and more", "short/MLmodel": b"hello", "stale/MLmodel": b"hello"}


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        # One handler per connection: the requests it has read so far.
        self.served = getattr(self, "served", 0) + 1
        if "stale" in self.path and self.served > 1:
            # A kept-alive connection closed just as its next request came: nothing answered.
            with open(SEEN, "a") as seen:
                seen.write("closed\n")
            self.close_connection = True
            return
        with open(SEEN, "a") as seen:
            seen.write(self.headers.get("Authorization", "-") + "\n")
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        name = query.get("name", "")
        if url.path in ("/api/2.0/mlflow/model-versions/get", "/api/2.0/mlflow/registered-models/alias"):
            if name == "badjson":
                return self.answer(200, "{not json")
            if name == "unavailable":
                return self.answer(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "try later"})
            if name == "forbidden":
                return self.answer(403, {"error_code": "PERMISSION_DENIED", "message": "no"})
            if name == "missing":
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such version"})
            if name == "missing400":
                return self.answer(400, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"})
            if name == "noversion":
                return self.answer(200, {})
            if name == "otherversion":
                return self.answer(200, {"model_version": {"name": name, "version": "8"}})
            if name == "othermodel":
                return self.answer(200, {"model_version": {"name": "someone-else", "version": "1"}})
            version = query.get("version", "7")
            return self.answer(200, {"model_version": {"name": name, "version": version, "run_id": "run-" + name, "source": "models:/m-" + name}})
        if url.path == "/api/2.0/mlflow/model-versions/get-download-uri":
            if name == "s3":
                return self.answer(200, {"artifact_uri": "s3://bucket/models/x?X-Amz-Signature=SECRETSIG"})
            if name == "escape":
                return self.answer(200, {"artifact_uri": "mlflow-artifacts:/../../etc"})
            if name == "hosted":
                return self.answer(200, {"artifact_uri": "mlflow-artifacts://elsewhere:5000/good"})
            return self.answer(200, {"artifact_uri": "mlflow-artifacts:/" + name})
        if url.path == "/api/2.0/mlflow-artifacts/artifacts":
            path = query.get("path", "")
            if path.startswith("deep"):
                return self.answer(200, {"files": [{"path": "d", "is_dir": True}]})
            if path == "fivehundred":
                return self.answer(500, "internal error")
            listing = LISTINGS.get(path)
            if listing is None:
                return self.answer(200, {})
            return self.answer(200, listing)
        prefix = "/api/2.0/mlflow-artifacts/artifacts/"
        if url.path.startswith(prefix):
            path = urllib.parse.unquote(url.path[len(prefix):])
            if path == "stall/MLmodel":
                # Two of five bytes, then silence: the source's idle timeout must fire.
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"he")
                self.wfile.flush()
                time.sleep(120)
                return
            body = BODIES.get(path)
            if body is None:
                return self.answer(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no file"})
            return self.answer(200, body, "application/octet-stream")
        self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"})

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
