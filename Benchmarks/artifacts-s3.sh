#!/usr/bin/env bash
# Fetch throughput and peak RSS from a loopback S3 server (moto_server): Sluice's S3Source
# (driven by the SLUICE_BENCH-gated test S3BenchmarkTests) against `aws s3 cp` for one large
# object and `aws s3 sync` for a many-file prefix, in one run against the same server.
#
#   Benchmarks/artifacts-s3.sh                 # 1 GiB object, 10,000 files, 3 runs each
#   SIZE_MB=256 FILES=2000 RUNS=5 Benchmarks/artifacts-s3.sh
#   CONFIG=release Benchmarks/artifacts-s3.sh  # build the driver in release (slow to build)
#   AWS_OBJECT_RUNS=1 …                        # fewer runs of awscli's multipart download (minutes each on moto)
#
# Work files live in Benchmarks/.work/s3 (git-ignored). Only 127.0.0.1 is contacted.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
SMALL_MB=${SMALL_MB:-64}
FILES=${FILES:-10000}
RUNS=${RUNS:-3}
CONFIG=${CONFIG:-debug}
WORK=Benchmarks/.work/s3
rm -rf "$WORK"; mkdir -p "$WORK/src/many" "$WORK/out"
WORK=$(cd "$WORK" && pwd)

echo "building the driver ($CONFIG)…" >&2
swift build -c "$CONFIG" --build-tests >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; exit 1; }

# moto_server on a kernel-chosen port, without authentication (signing is tested elsewhere).
env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 moto_server -H 127.0.0.1 -p 0 >"$WORK/moto.log" 2>&1 &
MOTO=$!
trap 'kill -9 $MOTO 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  PORT=$(sed -n 's|.*Running on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/moto.log" | head -1)
  [ -n "${PORT:-}" ] && curl -fs "http://127.0.0.1:$PORT/moto-api/data.json" >/dev/null && break
  sleep 0.1
done
ENDPOINT="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
AWS=(aws --endpoint-url "$ENDPOINT")
QUIET=--only-show-errors

echo "uploading a ${SIZE_MB} MiB object, a ${SMALL_MB} MiB object and ${FILES} small files…" >&2
head -c $((SIZE_MB << 20)) /dev/urandom >"$WORK/src/big.bin"
head -c $((SMALL_MB << 20)) /dev/urandom >"$WORK/src/small.bin"
python3 - "$WORK/src/many" "$FILES" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(15)
for i in range(count):
    d = os.path.join(root, f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(512, 8192)))
PY
"${AWS[@]}" s3 mb s3://bench >/dev/null
"${AWS[@]}" s3 cp $QUIET "$WORK/src/big.bin" s3://bench/big.bin
"${AWS[@]}" s3 cp $QUIET "$WORK/src/small.bin" s3://bench/small.bin
"${AWS[@]}" s3 sync $QUIET "$WORK/src/many" s3://bench/many/

# One timed run; prints "SECONDS MAXRSS_KB WALL". Sluice's SECONDS are measured inside the
# driver (resolve + download, without the test runner's start), WALL is the whole `swift test`
# command; for aws both are the command's wall time (Python's start included).
run_sluice() {
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"
  SLUICE_BENCH=1 SLUICE_BENCH_URI="$1" SLUICE_BENCH_OUT="$WORK/out" SLUICE_BENCH_ENDPOINT="$ENDPOINT" \
    /usr/bin/time -f "%e" -o "$WORK/time.txt" swift test -c "$CONFIG" --skip-build --filter S3BenchmarkTests >"$WORK/sluice-run.log" 2>&1
  echo "$(sed -n 's/.*SLUICE_BENCH bytes=[0-9]* files=[0-9]* seconds=\([0-9.e-]*\) maxrss_kb=\([0-9]*\).*/\1 \2/p' "$WORK/sluice-run.log" | head -1) $(cat "$WORK/time.txt")"
}
run_aws() {
  rm -rf "$WORK/out"; mkdir -p "$WORK/out"
  local verb=$1; shift
  /usr/bin/time -f "%e %M %e" -o "$WORK/time.txt" "${AWS[@]}" s3 "$verb" $QUIET "$@"
  cat "$WORK/time.txt"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A RESULT
measure() { # name command...
  local name=$1; shift
  local runs=$RUNS
  [ "$name" = aws-object ] && runs=${AWS_OBJECT_RUNS:-$RUNS}
  : >"$WORK/$name.txt"
  for _ in $(seq 1 "$runs"); do "$@" >>"$WORK/$name.txt"; done
  RESULT[$name.s]=$(cut -d' ' -f1 "$WORK/$name.txt" | median)
  RESULT[$name.rss]=$(cut -d' ' -f2 "$WORK/$name.txt" | sort -g | tail -1)
  RESULT[$name.wall]=$(cut -d' ' -f3 "$WORK/$name.txt" | median)
}

measure sluice-object run_sluice s3://bench/big.bin
cmp "$WORK/out/object" "$WORK/src/big.bin"
measure aws-object run_aws cp s3://bench/big.bin "$WORK/out/big.bin"
# awscli splits a large object into 8 MiB ranged GETs; moto reads the whole object for each
# range, so also time one plain GET, as S3Source does.
printf '[default]\ns3 =\n    multipart_threshold = 64GB\n' >"$WORK/aws-single.config"
AWS_CONFIG_FILE="$WORK/aws-single.config" measure aws-object-single run_aws cp s3://bench/big.bin "$WORK/out/big.bin"
measure sluice-small run_sluice s3://bench/small.bin
measure sluice-prefix run_sluice s3://bench/many/
diff -r "$WORK/out" "$WORK/src/many" >/dev/null
measure aws-prefix run_aws sync s3://bench/many/ "$WORK/out"

mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }
rate() { awk -v mb="$1" -v s="$2" 'BEGIN {printf "%.0f", mb / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
PREFIX_MB=$(du -sm "$WORK/src/many" | cut -f1)
cat <<MD | tee "$WORK/results.md"
| case | tool | median s | MiB/s | median wall s of the command | peak RSS MiB |
| --- | --- | --- | --- | --- | --- |
| ${SIZE_MB} MiB object | sluice S3Source | ${RESULT[sluice-object.s]} | $(rate "$SIZE_MB" "${RESULT[sluice-object.s]}") | ${RESULT[sluice-object.wall]} | $(mib "${RESULT[sluice-object.rss]}") |
| ${SIZE_MB} MiB object | aws s3 cp | ${RESULT[aws-object.s]} | $(rate "$SIZE_MB" "${RESULT[aws-object.s]}") | ${RESULT[aws-object.wall]} | $(mib "${RESULT[aws-object.rss]}") |
| ${SIZE_MB} MiB object | aws s3 cp, one GET | ${RESULT[aws-object-single.s]} | $(rate "$SIZE_MB" "${RESULT[aws-object-single.s]}") | ${RESULT[aws-object-single.wall]} | $(mib "${RESULT[aws-object-single.rss]}") |
| ${SMALL_MB} MiB object | sluice S3Source | ${RESULT[sluice-small.s]} | $(rate "$SMALL_MB" "${RESULT[sluice-small.s]}") | ${RESULT[sluice-small.wall]} | $(mib "${RESULT[sluice-small.rss]}") |
| ${FILES} files (${PREFIX_MB} MiB) | sluice S3Source | ${RESULT[sluice-prefix.s]} | $(rate "$PREFIX_MB" "${RESULT[sluice-prefix.s]}") | ${RESULT[sluice-prefix.wall]} | $(mib "${RESULT[sluice-prefix.rss]}") |
| ${FILES} files (${PREFIX_MB} MiB) | aws s3 sync | ${RESULT[aws-prefix.s]} | $(rate "$PREFIX_MB" "${RESULT[aws-prefix.s]}") | ${RESULT[aws-prefix.wall]} | $(mib "${RESULT[aws-prefix.rss]}") |

object: sluice/aws time ratio $(ratio "${RESULT[sluice-object.s]}" "${RESULT[aws-object.s]}") (one GET: $(ratio "${RESULT[sluice-object.s]}" "${RESULT[aws-object-single.s]}")); prefix: $(ratio "${RESULT[sluice-prefix.s]}" "${RESULT[aws-prefix.s]}") (below 1: sluice faster). RUNS=$RUNS CONFIG=$CONFIG
MD
