#!/usr/bin/env bash
# Installs MLServer (Seldon's Open Inference Protocol server, with its scikit-learn runtime and
# its generated gRPC stubs) into a venv of its own under the build directory, .build/mlserver,
# for the gateway's gRPC end-to-end tests: two MLServer processes serve two versions of an iris
# model over gRPC, and a grpcio client calls them through the gateway. Its own venv, apart from
# .build/python-peers: MLServer pins versions of fastapi/pydantic/protobuf that mlflow does not
# share. Called by scripts/setup.sh. Idempotent and fast when present: it only imports the
# pinned packages with the venv's python. A fresh install takes about 3.5 minutes here.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/mlserver
MLSERVER_VERSION=1.7.1
SKLEARN_VERSION=1.9.1
GRPCIO_VERSION=1.85.3
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "
import sys, importlib.metadata as m
wanted = {'mlserver': '$MLSERVER_VERSION', 'mlserver-sklearn': '$MLSERVER_VERSION', 'scikit-learn': '$SKLEARN_VERSION', 'grpcio': '$GRPCIO_VERSION'}
sys.exit(0 if all(m.version(name) == version for name, version in wanted.items()) else 1)
" >/dev/null 2>&1; then
  exit 0
fi
scripts/make-python-venv.sh "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "mlserver==$MLSERVER_VERSION" "mlserver-sklearn==$MLSERVER_VERSION" "scikit-learn==$SKLEARN_VERSION" "grpcio==$GRPCIO_VERSION"
"$VENV/bin/python" -c 'import mlserver, mlserver_sklearn, grpc, mlserver.grpc.dataplane_pb2_grpc' >/dev/null
