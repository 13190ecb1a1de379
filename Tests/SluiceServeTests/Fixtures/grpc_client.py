"""A gRPC client of the Open Inference Protocol (inference.GRPCInferenceService) for the
gateway's tests and benchmark, built on grpcio and the stubs MLServer generates from the
protocol's proto (mlserver.grpc.dataplane_pb2).

    grpc_client.py TARGET METHOD REQUEST [--metadata K=V]... [--calls N] [--raw] [--pad BYTES]

REQUEST is the request message as JSON (protobuf's JSON mapping), or with --raw the request's
bytes in hex (sent as they are, malformed or not). --pad adds BYTES bytes of raw input contents.
Prints one JSON line per call: the status code's name, its details, the x-sluice-model and
x-sluice-version response metadata, and the response as JSON.
"""
import argparse, json, sys

import grpc
from google.protobuf import json_format
from mlserver.grpc import dataplane_pb2 as pb

METHODS = {
    "ServerLive": (pb.ServerLiveRequest, pb.ServerLiveResponse),
    "ServerReady": (pb.ServerReadyRequest, pb.ServerReadyResponse),
    "ModelReady": (pb.ModelReadyRequest, pb.ModelReadyResponse),
    "ModelMetadata": (pb.ModelMetadataRequest, pb.ModelMetadataResponse),
    "ModelInfer": (pb.ModelInferRequest, pb.ModelInferResponse),
    # Not served by the gateway: answered UNIMPLEMENTED.
    "RepositoryIndex": (pb.RepositoryIndexRequest, pb.RepositoryIndexResponse),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("method")
    parser.add_argument("request")
    parser.add_argument("--metadata", action="append", default=[])
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--pad", type=int, default=0)
    args = parser.parse_args()
    request_type, response_type = METHODS[args.method]
    if args.raw:
        payload = bytes.fromhex(args.request)
        serialize = lambda data: data
    else:
        message = json_format.Parse(args.request, request_type())
        if args.pad:
            message.raw_input_contents.append(b"\0" * args.pad)
        payload = message
        serialize = request_type.SerializeToString
    options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
    with grpc.insecure_channel(args.target, options=options) as channel:
        call = channel.unary_unary(
            "/inference.GRPCInferenceService/" + args.method,
            request_serializer=serialize,
            response_deserializer=response_type.FromString,
        )
        metadata = [tuple(item.split("=", 1)) for item in args.metadata]
        for _ in range(args.calls):
            line = {"code": "OK", "details": None, "model": None, "version": None, "response": None}
            try:
                response, state = call.with_call(payload, metadata=metadata, timeout=60)
                line["response"] = json_format.MessageToDict(response)
                headers = dict(state.initial_metadata())
            except grpc.RpcError as error:
                line["code"] = error.code().name
                line["details"] = error.details()
                headers = dict(error.initial_metadata() or ()) | dict(error.trailing_metadata() or ())
            line["model"] = headers.get("x-sluice-model")
            line["version"] = headers.get("x-sluice-version")
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    sys.exit(main())
