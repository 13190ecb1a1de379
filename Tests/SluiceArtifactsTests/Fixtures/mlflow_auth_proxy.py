"""A tiny bearer-token proxy in front of a real `mlflow server`, for the MLflow token tests.

  mlflow_auth_proxy.py LISTEN_PORT UPSTREAM_PORT TOKEN_FILE

Forwards GET requests (path, query, Range) to 127.0.0.1:UPSTREAM_PORT when the request's
`Authorization` is exactly `Bearer <first line of TOKEN_FILE>` (read per request, so the
test can rotate it), answers 401 otherwise. Records every Authorization value it sees, one
per line, in TOKEN_FILE + ".seen" so the test can check what was sent. Standard library only.
"""

import http.client
import http.server
import sys

LISTEN, UPSTREAM, TOKEN_FILE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with open(TOKEN_FILE) as handle:
            expected = "Bearer " + handle.readline().strip()
        sent = self.headers.get("Authorization", "")
        with open(TOKEN_FILE + ".seen", "a") as seen:
            seen.write(sent + "\n")
        if sent != expected:
            body = b'{"error_code": "UNAUTHENTICATED", "message": "bad token"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        headers = {name: value for name, value in self.headers.items() if name.lower() in ("range", "accept")}
        upstream.request("GET", self.path, headers=headers)
        answer = upstream.getresponse()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.end_headers()
        while True:
            chunk = answer.read(65536)
            if not chunk:
                break
            self.wfile.write(chunk)
        upstream.close()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Proxy).serve_forever()
