"""A gRPC caller that cancels mid-call, for the gateway's cancellation tests.

    grpc_cancel_caller.py PORT MODEL DELAY_MS RELEASE_FILE

Speaks HTTP/2 with prior knowledge (frames written by hand, headers as HPACK literals): sends
ModelInfer{model_name: MODEL} on stream 1, waits DELAY_MS, resets the stream with RST_STREAM
CANCEL (0x8), then keeps the connection open until RELEASE_FILE exists (at most 30 s), so that
what the model server sees comes from the reset, not from a closed connection. Prints
`reset` once the RST_STREAM is sent, and each frame type it received.
"""
import os, socket, sys, time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def literal(name, value):
    """A header as an HPACK literal without indexing, new name, no Huffman (RFC 7541 6.2.2)."""
    name, value = name.encode(), value.encode()
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def main():
    port, model, delay, release = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(PREFACE + frame(4, 0, 0))
    headers = b"".join(literal(n, v) for n, v in [
        (":method", "POST"), (":scheme", "http"), (":path", "/inference.GRPCInferenceService/ModelInfer"),
        (":authority", "127.0.0.1:%d" % port), ("content-type", "application/grpc"), ("te", "trailers"),
    ])
    message = b"\x0a" + bytes([len(model)]) + model.encode()
    connection.sendall(frame(1, 0x4, 1, headers) + frame(0, 0x1, 1, b"\x00" + len(message).to_bytes(4, "big") + message))
    time.sleep(delay / 1000)
    connection.sendall(frame(3, 0, 1, (8).to_bytes(4, "big")))
    print("reset", flush=True)
    connection.settimeout(0.1)
    received = b""
    end = time.time() + 30
    while time.time() < end and not os.path.exists(release):
        try:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        except socket.timeout:
            pass
    kinds = []
    while len(received) >= 9:
        length = int.from_bytes(received[:3], "big")
        kinds.append(received[3])
        received = received[9 + length:]
    print("received", " ".join(str(kind) for kind in kinds), flush=True)
    connection.close()


if __name__ == "__main__":
    main()
