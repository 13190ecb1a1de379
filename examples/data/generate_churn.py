#!/usr/bin/env python3
"""Synthetic training-time data for the churn example: model inputs and the control
model's predictions, from which the baselines in examples/baselines/ are built.

    python3 examples/data/generate_churn.py
    sluice baseline build examples/data/churn-inputs.csv -o examples/baselines/churn-inputs.json
    sluice baseline build examples/data/churn-predictions.csv -o examples/baselines/churn-predictions.json

Standard library only; seeded, so the files are the same on every run.
"""
import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 1000

rng = random.Random(20261122)
with open(os.path.join(HERE, "..", "models", "churn-control.json")) as f:
    model = json.load(f)
assert model["inputs"] == ["tenure_months", "monthly_charges", "contract_monthly"]

inputs, predictions = [], []
for _ in range(ROWS):
    tenure = min(72, max(1, int(rng.expovariate(1 / 24)) + 1))
    # Newer customers are more often on month-to-month contracts.
    monthly = 1 if rng.random() < 0.75 - 0.5 * tenure / 72 else 0
    charges = round(min(120.0, max(18.0, rng.gauss(65 + 8 * monthly, 22))), 2)
    z = model["intercept"] + sum(c * x for c, x in zip(model["coef"], (tenure, charges, monthly)))
    churn = 1 / (1 + math.exp(-z))
    inputs.append(f"{tenure},{charges:.2f},{monthly}")
    predictions.append(f"{model['classes'][1] if churn >= 0.5 else model['classes'][0]},{churn:.6f}")

with open(os.path.join(HERE, "churn-inputs.csv"), "w") as f:
    f.write("tenure_months,monthly_charges,contract_monthly\n" + "\n".join(inputs) + "\n")
with open(os.path.join(HERE, "churn-predictions.csv"), "w") as f:
    f.write("predict,predict_proba[1]\n" + "\n".join(predictions) + "\n")
