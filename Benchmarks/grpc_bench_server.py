"""A minimal Open Inference Protocol gRPC server for Benchmarks/grpc-vs-direct.sh: answers
ModelInfer with a fixed one-value response (so the benchmark measures the gateway, not a
model) on the gRPC port, and GET readiness over HTTP on the other port (what the supervisor
probes). Runs under .build/mlserver's python (grpcio and MLServer's generated stubs).

    grpc_bench_server.py HTTP_PORT GRPC_PORT PORT_FILE   # writes GRPC_PORT to PORT_FILE once serving
"""
import http.server, sys, threading
from concurrent import futures

import grpc
from mlserver.grpc import dataplane_pb2 as pb
from mlserver.grpc import dataplane_pb2_grpc as pb_grpc

RESPONSE = pb.ModelInferResponse(
    model_name="bench", model_version="v1",
    outputs=[pb.ModelInferResponse.InferOutputTensor(
        name="predict", datatype="FP64", shape=[1], contents=pb.InferTensorContents(fp64_contents=[0.5]))])


class Servicer(pb_grpc.GRPCInferenceServiceServicer):
    def ServerLive(self, request, context):
        return pb.ServerLiveResponse(live=True)

    def ServerReady(self, request, context):
        return pb.ServerReadyResponse(ready=True)

    def ModelReady(self, request, context):
        return pb.ModelReadyResponse(ready=True)

    def ModelInfer(self, request, context):
        return RESPONSE


class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    http_port, grpc_port = int(sys.argv[1]), int(sys.argv[2])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(Servicer(), server)
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    server.start()
    with open(sys.argv[3], "w") as port_file:
        port_file.write(str(grpc_port))
    ready = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), Ready)
    threading.Thread(target=ready.serve_forever, daemon=True).start()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
