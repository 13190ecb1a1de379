#!/usr/bin/env bash
# `sluice drift` end to end on two large single-column CSV files, against the Python a user
# would otherwise write (numpy.loadtxt for both files, scipy.stats.ks_2samp, a numpy PSI),
# whole processes timed side by side in one hyperfine run, with peak RSS from /usr/bin/time.
#
#   Benchmarks/drift-end-to-end.sh
#   ROWS=1000000 RUNS=5 BASE=/path/to/older/sluice Benchmarks/drift-end-to-end.sh
#
# Environment (defaults):
#   ROWS=1000000    rows per file (17 significant digits, as numpy and pandas write doubles)
#   RUNS=5          hyperfine runs per command (after 1 warm-up); medians are reported
#   BASE=           another sluice binary (an earlier commit) timed in the same run
#   SLUICE=         a sluice binary to time instead of building one (.build-bench/release/sluice)
# Files go under Benchmarks/.work/drift-e2e/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-5}
BASE=${BASE:-}
work=Benchmarks/.work/drift-e2e
mkdir -p "$work"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
python3 -c 'import numpy, scipy' 2>/dev/null || python3 -m pip install --quiet numpy scipy
if [ -z "${SLUICE:-}" ]; then swift build -c release --product sluice --scratch-path .build-bench >/dev/null; fi
sluice=${SLUICE:-$PWD/.build-bench/release/sluice}
ref=$work/ref-$ROWS.csv cur=$work/cur-$ROWS.csv
if [ ! -s "$cur" ]; then
  python3 - "$ROWS" "$ref" "$cur" <<'PY'
import sys, numpy as np
rows, ref, cur = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(7)
np.savetxt(ref, rng.normal(0.0, 1.0, rows), fmt="%.17g", header="x", comments="")
np.savetxt(cur, rng.normal(0.05, 1.1, rows), fmt="%.17g", header="x", comments="")
PY
fi
cat > "$work/drift.py" <<'PY'
import sys, numpy as np
from scipy.stats import ks_2samp
ref = np.loadtxt(sys.argv[1], skiprows=1)
cur = np.loadtxt(sys.argv[2], skiprows=1)
stat = ks_2samp(ref, cur)
edges = np.quantile(ref, np.linspace(0, 1, 11)[1:-1])
p = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=10) / len(ref)
q = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=10) / len(cur)
p, q = np.clip(p, 1e-4, None), np.clip(q, 1e-4, None)
print(stat.statistic, stat.pvalue, float(np.sum((q - p) * np.log(q / p))))
PY
commands=(-n "sluice ks" "$sluice drift $ref $cur --test ks" -n "sluice psi" "$sluice drift $ref $cur --test psi")
if [ -n "$BASE" ]; then commands+=(-n "base ks" "$BASE drift $ref $cur --test ks" -n "base psi" "$BASE drift $ref $cur --test psi"); fi
commands+=(-n "python ks+psi" "python3 $work/drift.py $ref $cur")
# sluice exits 1 when it finds drift; that is an answer, not a failure.
hyperfine --ignore-failure --warmup 1 --runs "$RUNS" --export-json "$work/hyperfine.json" "${commands[@]}" >/dev/null
rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$work/rss.txt" || true; tail -1 "$work/rss.txt"; }
echo "rows per file: $ROWS; load average: $(cut -d' ' -f1-3 /proc/loadavg); nproc: $(nproc)"
echo "| command | median s | min s | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
python3 - "$work/hyperfine.json" <<'PY' | while IFS='|' read -r name median low; do
import json, sys, statistics
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}|{statistics.median(r['times']):.3f}|{min(r['times']):.3f}")
PY
  case "$name" in
    "sluice ks") kib=$(rss "$sluice" drift "$ref" "$cur" --test ks) ;;
    "sluice psi") kib=$(rss "$sluice" drift "$ref" "$cur" --test psi) ;;
    "base ks") kib=$(rss "$BASE" drift "$ref" "$cur" --test ks) ;;
    "base psi") kib=$(rss "$BASE" drift "$ref" "$cur" --test psi) ;;
    *) kib=$(rss python3 "$work/drift.py" "$ref" "$cur") ;;
  esac
  echo "| $name | $median | $low | $((kib / 1024)) |"
done
# Same verdicts: the KS statistic sluice prints must be the one scipy computes.
"$sluice" drift "$ref" "$cur" --test ks --format json > "$work/sluice-ks.json" || true
echo "sluice KS statistic, p-value: $(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["features"][0]; print(f["statistic"], f["pValue"])' "$work/sluice-ks.json")"
echo "python KS statistic, p-value, PSI: $(python3 "$work/drift.py" "$ref" "$cur")"
