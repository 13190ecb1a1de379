"""A V2-shaped upstream for gateway tests: answers every request with the headers it got.

    python3 echo_upstream.py PORT
"""
import http.server
import json
import sys


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        payload = json.dumps({
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "path": self.path,
            "method": self.command,
            "body": body.decode("utf-8", "replace"),
            "outputs": [{"name": "predict", "shape": [1], "datatype": "FP64", "data": [0.5]}],
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.send_header("x-upstream-only", "yes")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
