#!/usr/bin/env bash
# Installs what building and testing Sluice needs on a fresh Debian machine: pkg-config and
# libgit2-dev (the git source), git (the tests' repositories), libsqlite3-dev (the controller's store, through GRDB),
# python3 (the example V2 model server; with jsonschema and PyYAML, the Kubernetes schema contract), prometheus and promtool (the Prometheus provider's
# tests scrape a real `sluice serve`; promtool checks the exposition, rules and config), chromium (the dashboard's browser suite).
# Idempotent: does nothing when all are present.
set -euo pipefail
missing=()
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libgit2; then missing+=(pkg-config libgit2-dev); fi
# git: the tests drive real repositories with the git command line (and git http-backend).
if ! command -v git >/dev/null 2>&1; then missing+=(git); fi
if ! pkg-config --exists sqlite3 2>/dev/null; then missing+=(libsqlite3-dev); fi
if ! command -v python3 >/dev/null 2>&1; then missing+=(python3); fi
# jsonschema and PyYAML validate rendered Kubernetes objects against the vendored CRD and
# OpenAPI schemas (Tests/SluiceKubernetesTests/Fixtures/schemas/validate.py).
if ! python3 -c 'import jsonschema, yaml' >/dev/null 2>&1; then missing+=(python3-jsonschema python3-yaml); fi
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then missing+=(prometheus); fi
# openssl makes the throwaway CA of the Prometheus client's HTTPS tests.
if ! command -v openssl >/dev/null 2>&1; then missing+=(openssl); fi
# gpg and ssh-keygen verify commit signatures (controller.verify) and sign Sluice's own reverts; the tests make real keys.
if ! command -v gpg >/dev/null 2>&1 || ! command -v gpgconf >/dev/null 2>&1; then missing+=(gnupg); fi
if ! command -v ssh-keygen >/dev/null 2>&1; then missing+=(openssh-client); fi
# curl (with nghttp2) calls the gateway's gRPC listener with raw grpc-timeout headers in GRPCDeadlineTests.
if ! command -v curl >/dev/null 2>&1 || ! curl -V | grep -q HTTP2; then missing+=(curl); fi
# chromium renders the dashboard in DashboardBrowserTests (installed apart, below, without recommends).
if ! command -v chromium >/dev/null 2>&1; then needChromium=1; else needChromium=0; fi
# moto_server (S3 with SigV4 checks) for the S3 artifact tests: on this machine image already; from PyPI otherwise.
if ! command -v moto_server >/dev/null 2>&1; then python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'; fi
"$(dirname "$0")/setup-python-peers.sh"  # mlflow + scikit-learn in .build/python-peers, for the MLflow artifact tests
"$(dirname "$0")/setup-mlserver.sh"  # mlserver + mlserver-sklearn + grpcio in .build/mlserver, for the gateway's gRPC tests
if [ ${#missing[@]} -eq 0 ] && [ "$needChromium" -eq 0 ]; then
  exit 0
fi
echo "== setup: installing ${missing[*]}$([ "$needChromium" -eq 1 ] && echo " chromium") (apt-get)"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq >/dev/null
if [ ${#missing[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; fi
# Without the desktop's recommended packages Chromium installs in about 20 seconds.
if [ "$needChromium" -eq 1 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
