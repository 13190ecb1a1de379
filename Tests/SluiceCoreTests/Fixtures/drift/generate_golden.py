#!/usr/bin/env python3
"""Golden vectors for SluiceCore's drift statistics, computed with numpy and scipy.

    python3 Tests/SluiceCoreTests/Fixtures/drift/generate_golden.py > Tests/SluiceCoreTests/Fixtures/drift/golden.json

PSI and Hellinger have no scipy function: they are computed here with numpy from their
definitions (the same binning conventions the Swift code documents).
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

rng = np.random.default_rng(20261122)
EPS = 1e-4


def edges(reference, bins=10):
    # Linear quantiles (numpy's default) at exactly i/bins, as the Swift code computes them.
    quantiles = np.quantile(reference, [i / bins for i in range(bins + 1)])
    unique = []
    for q in quantiles:
        if not unique or unique[-1] != q:
            unique.append(float(q))
    return unique


def histogram(values, e):
    values = np.asarray(values)
    under = int(np.sum(values < e[0]))
    over = int(np.sum(values > e[-1]))
    inner = np.histogram(values[(values >= e[0]) & (values <= e[-1])], bins=e)[0].tolist() if len(e) > 1 else [int(np.sum(values == e[0]))]
    return [under] + [int(c) for c in inner] + [over]


def proportions(counts):
    total = sum(counts)
    return [EPS if total == 0 or c == 0 else c / total for c in counts]


def psi(reference, current):
    e = edges(reference)
    expected = np.array(proportions(histogram(reference, e)))
    actual = np.array(proportions(histogram(current, e)))
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def rounded(values):
    return [round(float(v), 6) for v in values]


cases = {"scipy": scipy.__version__, "numpy": np.__version__}

reference = rounded(rng.normal(50, 10, 400))
shifted = rounded(rng.normal(54, 12, 300))
same = rounded(rng.normal(50, 10, 300))
narrow = rounded(rng.normal(50, 0.5, 200))  # leaves most reference bins empty
cases["psi"] = [
    {"name": "shifted", "reference": reference, "current": shifted, "psi": psi(reference, shifted),
     "edges": edges(reference), "counts": histogram(shifted, edges(reference))},
    {"name": "same distribution", "reference": reference, "current": same, "psi": psi(reference, same)},
    {"name": "empty bins", "reference": reference, "current": narrow, "psi": psi(reference, narrow),
     "counts": histogram(narrow, edges(reference))},
]

p = [0.1, 0.2, 0.3, 0.4, 0.0]
q = [0.3, 0.3, 0.2, 0.1, 0.1]
cases["jensen_shannon"] = [
    {"p": p, "q": q, "base": "e", "distance": float(distance.jensenshannon(p, q))},
    {"p": p, "q": q, "base": 2, "distance": float(distance.jensenshannon(p, q, base=2))},
    {"p": [1, 0], "q": [0, 1], "base": 2, "distance": float(distance.jensenshannon([1, 0], [0, 1], base=2))},
]
cases["hellinger"] = [
    {"p": p, "q": q, "distance": float(np.sqrt(1 - np.sum(np.sqrt(np.array(p) * np.array(q)))))},
]
u = rounded(rng.exponential(2.0, 150))
v = rounded(rng.exponential(2.6, 170) + 0.3)
cases["wasserstein"] = [
    {"u": u, "v": v, "distance": float(stats.wasserstein_distance(u, v)),
     "normalized": float(stats.wasserstein_distance(u, v) / np.std(u))},
]

reference_counts = {"monthly": 520, "annual": 310, "two_year": 170}
current_counts = {"monthly": 610, "annual": 250, "two_year": 110, "weekly": 30}  # weekly: absent from the reference
categories = sorted(set(reference_counts) | set(current_counts))
table = np.array([[reference_counts.get(c, 0) for c in categories], [current_counts.get(c, 0) for c in categories]])
chi2, pvalue, dof, _ = stats.chi2_contingency(table, correction=False)
small_ref = {"a": 40, "b": 35, "c": 25}
small_cur = {"a": 38, "b": 37, "c": 25}
table2 = np.array([[small_ref[c] for c in "abc"], [small_cur[c] for c in "abc"]])
chi2b, pvalueb, dofb, _ = stats.chi2_contingency(table2, correction=False)
cases["chi_square_homogeneity"] = [
    {"reference": reference_counts, "current": current_counts, "statistic": float(chi2), "pValue": float(pvalue), "dof": int(dof)},
    {"reference": small_ref, "current": small_cur, "statistic": float(chi2b), "pValue": float(pvalueb), "dof": int(dofb)},
]

expected_proportions = {"monthly": 0.52, "annual": 0.31, "two_year": 0.17}
raw = np.array([max(expected_proportions.get(c, 0), EPS) for c in categories])
f_exp = raw / raw.sum() * sum(current_counts.values())
f_obs = np.array([current_counts.get(c, 0) for c in categories])
gof = stats.chisquare(f_obs, f_exp)
cases["chi_square_goodness_of_fit"] = [
    {"observed": current_counts, "expected": expected_proportions, "statistic": float(gof.statistic), "pValue": float(gof.pvalue), "dof": len(categories) - 1},
]

pvalues = [0.001, 0.04, 0.03, 0.2, 0.5, 0.012, 0.9]
cases["benjamini_hochberg"] = {"p": pvalues, "adjusted": [float(x) for x in stats.false_discovery_control(pvalues, method="bh")]}
cases["gamma_q"] = [{"a": a, "x": x, "q": float(special.gammaincc(a, x))} for a, x in
                    [(0.5, 0.1), (1.5, 3.0), (3.0, 2.0), (10.0, 25.0), (50.0, 40.0), (0.5, 60.0), (250.0, 260.0)]]

# --- Kolmogorov–Smirnov (two-sample, two-sided, method "auto") ---------------------------
# A separate generator, so the draws above keep their numbers.
from scipy.stats._stats_py import _attempt_exact_2kssamp

ks_rng = np.random.default_rng(20261207)


def ks_case(name, a, b, decimals=6):
    a = [round(float(x), decimals) for x in a]
    b = [round(float(x), decimals) for x in b]
    result = stats.ks_2samp(a, b, alternative="two-sided", method="auto")
    method = "exact" if max(len(a), len(b)) <= 10000 else "asymptotic"
    case = {"name": name, "reference": a, "current": b, "statistic": float(result.statistic),
            "pValue": float(result.pvalue), "method": method}
    if round(len(a) * len(b) / (len(a) + len(b))) >= 1:  # kstwo needs n >= 1 (1x1 has none)
        asymptotic = stats.ks_2samp(a, b, alternative="two-sided", method="asymp")
        case["asymptoticStatistic"] = float(asymptotic.statistic)
        case["asymptoticPValue"] = float(asymptotic.pvalue)
    return case


def ks_disagreement():
    # Small equal samples: the exact p-value is above 0.05 and the asymptotic one below.
    while True:
        a = ks_rng.normal(0, 1, 10)
        b = ks_rng.normal(0.8, 1, 10)
        case = ks_case("exact and asymptotic disagree at 0.05", a, b)
        if case["pValue"] > 0.05 >= case["asymptoticPValue"]:
            return case


same = ks_rng.normal(0, 1, 40)
cases["ks"] = [
    ks_case("equal sizes", ks_rng.normal(0, 1, 60), ks_rng.normal(0.5, 1, 60)),
    ks_case("unequal sizes", ks_rng.normal(0, 1, 80), ks_rng.normal(0.3, 1.3, 55)),
    ks_case("ties", ks_rng.integers(0, 10, 90).astype(float), ks_rng.integers(1, 11, 70).astype(float)),
    ks_case("tiny 1x1", ks_rng.normal(0, 1, 1), ks_rng.normal(0, 1, 1)),
    ks_case("tiny 1x4", ks_rng.normal(0, 1, 1), ks_rng.normal(0, 1, 4)),
    ks_case("tiny 2x3", ks_rng.normal(0, 1, 2), ks_rng.normal(1, 1, 3)),
    ks_case("tiny 3x5", ks_rng.normal(0, 1, 3), ks_rng.normal(2, 1, 5)),
    ks_case("tiny 4x4", ks_rng.normal(0, 1, 4), ks_rng.normal(3, 1, 4)),
    ks_case("tiny 5x2", ks_rng.normal(0, 1, 5), ks_rng.normal(0, 1, 2)),
    ks_case("identical samples", same, same),
    ks_case("large (asymptotic)", ks_rng.normal(0, 1, 12000), ks_rng.normal(0.04, 1, 10500), decimals=4),
    ks_disagreement(),
]


def ks_pvalue(d, n, m):
    # What ks_2samp does with statistic d and sizes n, m (method "auto").
    if max(n, m) <= 10000:
        success, snapped, p = _attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
        if success:
            return {"d": d, "n": n, "m": m, "statistic": float(snapped), "pValue": float(np.clip(p, 0, 1)), "method": "exact"}
        d = snapped
    big, small = max(n, m) * 1.0, min(n, m) * 1.0
    p = stats.kstwo.sf(d, np.round(big * small / (big + small)))
    return {"d": d, "n": n, "m": m, "statistic": float(d), "pValue": float(np.clip(p, 0, 1)), "method": "asymptotic"}


# Each branch scipy takes: exact square and band, and kstwo.sf's Ruben-Gambino, Durbin
# matrix, Pomeranz, Pelz-Good and Smirnov (exact and, for n > 10^6, approximate) methods.
cases["ks_pvalue"] = [ks_pvalue(d, n, m) for d, n, m in [
    (0.15, 100, 100), (0.3, 100, 100), (0.1, 300, 200), (0.02, 10000, 10000), (0.02, 10000, 9999),
    (0.45, 7, 10000), (0.0, 50, 40), (1.0, 3, 4),
    (0.03, 10001, 30), (0.12, 10001, 30), (0.25, 10001, 30), (0.45, 10001, 30), (0.6, 10001, 30), (0.98, 10001, 30),
    (0.035, 10001, 200), (0.012, 20000, 20000), (0.005, 20000, 20000), (0.02, 20000, 20000), (0.05, 20000, 20000),
    (0.15, 20000, 20000), (0.2, 20000, 20000), (0.0015, 3000000, 3000000), (0.001, 1000000, 1000000),
    (0.003, 1000000, 1000000), (0.0001, 1000000, 1000000),
    # Smirnov sums whose terms peak far from j = 0 (SluiceCore samples them on a lattice).
    (0.012, 100000, 100000), (0.03, 200000, 200000), (0.0185, 1000000, 1000000), (0.026, 1000000, 1000000),
]]

json.dump(cases, sys.stdout, indent=1)
sys.stdout.write("\n")
