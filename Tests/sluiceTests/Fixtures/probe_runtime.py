#!/usr/bin/env python3
"""A model server written to attack its supervisor, for the containment tests.

At start, before it opens anything itself, it records what it inherited: the open file
descriptors (from /proc/self/fd, minus the one used for the listing), which of fds 3..1023
accept() works on (an inherited listener would hand it other people's connections), and
its whole environment. It writes that report to $PROBE_REPORT_DIR/report-PID.json and
answers it on GET /report. Every other GET answers 200 (readiness), and POST .../infer a
V2 answer, so it can be served and reconciled like a real model.
"""
import errno
import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def inherited_descriptors():
    """The open fds, minus the one os.listdir used for the listing (closed again by the
    time each entry is checked)."""
    names = os.listdir("/proc/self/fd")
    still_open = []
    for name in names:
        try:
            os.readlink("/proc/self/fd/" + name)
            still_open.append(int(name))
        except OSError:
            pass
    return sorted(still_open)


def accepting_descriptors():
    """fds above 2 on which accept() does anything but fail with 'bad descriptor'."""
    found = []
    for fd in range(3, 1024):
        try:
            os.fstat(fd)
        except OSError:
            continue
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            sock.setblocking(False)
            sock.accept()
            found.append(fd)
        except BlockingIOError:
            found.append(fd)  # a listener with nobody waiting: still an inherited listener
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.ENOTSOCK, errno.EBADF, errno.EOPNOTSUPP):
                found.append(fd)
        finally:
            sock.close()
    return found


REPORT = {
    "pid": os.getpid(),
    "fds": inherited_descriptors(),
    "accepting": accepting_descriptors(),
    "environment": dict(os.environ),
}

directory = os.environ.get("PROBE_REPORT_DIR")
if directory:
    path = os.path.join(directory, "report-%d.json" % os.getpid())
    with open(path + ".tmp", "w") as handle:
        json.dump(REPORT, handle)
    os.rename(path + ".tmp", path)


class Handler(BaseHTTPRequestHandler):
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(REPORT if self.path == "/report" else {"ready": True})

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        self.answer({"model_name": os.environ.get("SLUICE_MODEL", ""), "outputs": [
            {"name": "probability", "shape": [1], "datatype": "FP64", "data": [0.5]}]})

    def log_message(self, *args):
        pass


port = int(os.environ.get("SLUICE_PORT") or sys.argv[1])
HTTPServer(("127.0.0.1", port), Handler).serve_forever()
