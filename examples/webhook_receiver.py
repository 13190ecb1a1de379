"""A webhook receiver for monitor alerts and retraining requests: appends every POST as one
JSON line to a file (used by the quickstart and the tests; a stand-in for a pager or a
training pipeline).

    python3 examples/webhook_receiver.py PORT OUTPUT.jsonl

Each line: {"path": ..., "authorization": ..., "body": <the posted JSON>}. Answers 200,
or 500 for paths under /fail (to test a receiver that refuses).
"""
import http.server
import json
import sys


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {"unparsed": body.decode("utf-8", "replace")}
        record = {"path": self.path, "authorization": self.headers.get("authorization"), "body": parsed}
        with open(sys.argv[2], "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        status = 500 if self.path.startswith("/fail") else 200
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
