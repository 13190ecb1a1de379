#!/usr/bin/env bash
# Installs the Python peers of the MLflow artifact tests into a venv under the build directory,
# .build/python-peers: a pinned mlflow (the tracking server, its artifact proxy and the python
# client that registers the test models) and scikit-learn (the iris models themselves).
# Called by scripts/setup.sh. Idempotent and fast when present: it only imports mlflow with the
# venv's python and checks the pinned versions. Installs python3-venv when Debian's python3
# lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/python-peers
MLFLOW_VERSION=3.17.2
SKLEARN_VERSION=1.9.1
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "
import sys, mlflow, sklearn
sys.exit(0 if (mlflow.__version__, sklearn.__version__) == ('$MLFLOW_VERSION', '$SKLEARN_VERSION') else 1)
" >/dev/null 2>&1; then
  exit 0
fi
scripts/make-python-venv.sh "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "mlflow==$MLFLOW_VERSION" "scikit-learn==$SKLEARN_VERSION"
"$VENV/bin/python" -c 'import mlflow, sklearn' >/dev/null
