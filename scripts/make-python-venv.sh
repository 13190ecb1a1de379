#!/usr/bin/env bash
# Makes the venv at $1 (under .build/) unless it is there, installing Debian's python3-venv
# first when `python3 -m venv` cannot work without it (ensurepip). Called by the scripts that
# install the Python peers of the tests.
set -euo pipefail
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
fi
mkdir -p "$(dirname "$1")"
[ -x "$1/bin/python" ] || python3 -m venv "$1"
