"""A model server whose gRPC port never answers, for the gateway's deadline tests.

    grpc_stall_server.py HTTP_PORT GRPC_PORT LOG

HTTP_PORT answers 200 to every GET (readiness). GRPC_PORT speaks just enough HTTP/2 (its
SETTINGS, and the ACK of the client's) to take calls, and never answers one: it appends each
frame it receives on a stream to LOG as `TYPE STREAM` (HEADERS, DATA, RST_STREAM …), so that a
test can see the gateway reset the stream when the call's deadline passed.
"""
import socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAMES = {0: "DATA", 1: "HEADERS", 3: "RST_STREAM", 4: "SETTINGS", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE"}
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class Ready(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def frame(kind, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def serve(connection, log, lock):
    with connection:
        try:
            if read_exactly(connection, len(PREFACE)) != PREFACE:
                return
            connection.sendall(frame(4, 0, 0))
            while True:
                header = read_exactly(connection, 9)
                length = int.from_bytes(header[:3], "big")
                kind, flags = header[3], header[4]
                stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
                payload = read_exactly(connection, length)
                if kind == 4 and not flags & 1:
                    connection.sendall(frame(4, 1, 0))
                if kind == 6 and not flags & 1:
                    connection.sendall(frame(6, 1, 0, payload))
                if stream:
                    with lock, open(log, "a") as out:
                        out.write(f"{NAMES.get(kind, kind)} {stream}\n")
        except (EOFError, OSError):
            pass


def main():
    http_port, grpc_port, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lock = threading.Lock()
    listener = socket.create_server(("127.0.0.1", grpc_port))
    threading.Thread(target=ThreadingHTTPServer(("127.0.0.1", http_port), Ready).serve_forever, daemon=True).start()
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
