"""Free loopback ports for the benchmark scripts."""
import random
import socket


def free_block(size=50):
    """The first port of `size` consecutive loopback ports that are free now."""
    for _ in range(200):
        base = random.randrange(20000, 60000 - size)
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise SystemExit("no free loopback port range")
