#!/usr/bin/env python3
"""CSV fixtures and scipy golden numbers for `sluice drift` (DriftCommandTests).

    cd Tests/sluiceTests/Fixtures/drift && python3 generate_golden.py

Writes reference.csv and current.csv (values rounded to 3 decimals, so Swift reads the
same numbers) and golden.json with what scipy and numpy say about each column.
"""
import json

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261122)
reference = {"amount": np.round(rng.normal(100, 15, 400), 3), "tier": rng.choice(["gold", "silver", "bronze"], 400, p=[0.2, 0.3, 0.5])}
current = {"amount": np.round(rng.normal(104, 15, 300), 3), "tier": rng.choice(["gold", "silver", "bronze"], 300, p=[0.25, 0.3, 0.45])}

for name, data in [("reference.csv", reference), ("current.csv", current)]:
    with open(name, "w") as f:
        f.write("amount,tier\n")
        for amount, tier in zip(data["amount"], data["tier"]):
            f.write(f"{amount:.3f},{tier}\n")


def edges(values, bins=10):
    unique = []
    for q in np.quantile(values, [i / bins for i in range(bins + 1)]):
        if not unique or unique[-1] != q:
            unique.append(float(q))
    return unique


def histogram(values, e):
    v = np.asarray(values)
    inner, _ = np.histogram(v[(v >= e[0]) & (v <= e[-1])], bins=e)
    return [int((v < e[0]).sum())] + [int(c) for c in inner] + [int((v > e[-1]).sum())]


def proportions(counts, eps=1e-4):
    total = sum(counts)
    return [eps if c == 0 else c / total for c in counts]


e = edges(reference["amount"])
p = proportions(histogram(reference["amount"], e))
q = proportions(histogram(current["amount"], e))
ks = stats.ks_2samp(reference["amount"], current["amount"])
categories = sorted(set(reference["tier"]) | set(current["tier"]))
table = [[int((reference["tier"] == c).sum()) for c in categories], [int((current["tier"] == c).sum()) for c in categories]]
chi2, chi_p, _, _ = stats.chi2_contingency(table, correction=False)
golden = {
    "amount": {
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "psi": float(sum((b - a) * np.log(b / a) for a, b in zip(p, q))),
        "wasserstein": float(stats.wasserstein_distance(reference["amount"], current["amount"]) / np.std(reference["amount"])),
    },
    "tier": {"chi_square_statistic": float(chi2), "chi_square_pvalue": float(chi_p)},
}
with open("golden.json", "w") as f:
    json.dump(golden, f, indent=2)
    f.write("\n")
