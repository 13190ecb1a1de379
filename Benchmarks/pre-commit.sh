#!/usr/bin/env bash
# `sluice validate` as pre-commit runs it (its own batching of file names into processes,
# one per core), side by side with the same validation given the directory, and with
# check-jsonschema as a pre-commit hook (what a team without Sluice runs).
#
#   python3 -m venv .venv-pc && .venv-pc/bin/pip install pre-commit check-jsonschema
#   SLUICE=.build-bench/release/sluice PRE_COMMIT=.venv-pc/bin/pre-commit bash Benchmarks/pre-commit.sh [SIZE]
#
# Makes a git repository of SIZE (default 10000) generated manifests (10% invalid, seed 1)
# in Benchmarks/.work/pre-commit-SIZE and times, with hyperfine (medians of 5):
#   pre-commit run --all-files   hook `sluice validate` (language: system, pass_filenames)
#   sluice validate DIR          the directory, one process
#   pre-commit run --all-files   hook `check-jsonschema --schemafile …` instead
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZE=${1:-10000}
SLUICE=$(realpath "${SLUICE:-.build-bench/release/sluice}")
PRE_COMMIT=$(realpath "${PRE_COMMIT:-$(command -v pre-commit)}")
CHECK_JSONSCHEMA=$(dirname "$PRE_COMMIT")/check-jsonschema
WORK="$ROOT/Benchmarks/.work/pre-commit-$SIZE"
if [ ! -d "$WORK/.git" ]; then
    rm -rf "$WORK" && mkdir -p "$WORK"
    python3 Benchmarks/generate_manifests.py "$SIZE" "$WORK/manifests" --invalid-share 0.1 --seed 1 > /dev/null
    rm -f "$WORK/manifests/expected-invalid.txt"
    git -C "$WORK" init -q -b main
    git -C "$WORK" add -A
    git -C "$WORK" -c user.name=bench -c user.email=b@e -c commit.gpgsign=false commit -q -m manifests
fi
hook() {  # hook NAME ENTRY: a pre-commit config with one local hook
    cat > "$WORK/.pre-commit-config-$1.yaml" <<YAML
repos:
  - repo: local
    hooks:
      - id: $1
        name: $1
        entry: $2
        language: system
        files: ^manifests/.*\.ya?ml$
YAML
}
hook sluice "$SLUICE validate"
hook check-jsonschema "$CHECK_JSONSCHEMA --schemafile $ROOT/manifests/modeldeployment.schema.json"
cd "$WORK"
export PRE_COMMIT_HOME="$ROOT/Benchmarks/.work/pre-commit-home"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); sluice $(git -C "$ROOT" rev-parse --short HEAD); $SIZE manifests"
hyperfine --warmup 1 --runs 5 --ignore-failure --export-markdown "$ROOT/Benchmarks/.work/pre-commit-$SIZE.md" \
    -n "pre-commit, hook sluice validate" "$PRE_COMMIT run --all-files -c .pre-commit-config-sluice.yaml" \
    -n "sluice validate manifests/" "$SLUICE validate manifests/" \
    -n "pre-commit, hook check-jsonschema" "$PRE_COMMIT run --all-files -c .pre-commit-config-check-jsonschema.yaml"
cat "$ROOT/Benchmarks/.work/pre-commit-$SIZE.md"
