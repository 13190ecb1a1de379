#!/usr/bin/env bash
# Installs what building Sluice needs on a fresh Debian machine: pkg-config and libgit2-dev.
# Idempotent: does nothing when both are present.
set -euo pipefail
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libgit2; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq pkg-config libgit2-dev >/dev/null
