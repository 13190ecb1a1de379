#!/usr/bin/env python3
"""Listens on HOST:PORT (argv 1, 2) and appends every byte any connection sends to the
file argv 3: a stand-in for a local process waiting for a token sent to the wrong place.
Prints "listening" once bound."""
import socket
import sys
import threading

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port))
server.listen(16)
open(path, "ab").close()
print("listening", flush=True)


def record(connection):
    with connection:
        while True:
            data = connection.recv(65536)
            if not data:
                return
            with open(path, "ab") as handle:
                handle.write(data)


while True:
    connection, _ = server.accept()
    with open(path, "ab") as handle:
        handle.write(b"[connection]\n")
    threading.Thread(target=record, args=(connection,), daemon=True).start()
