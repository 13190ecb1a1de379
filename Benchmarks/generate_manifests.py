#!/usr/bin/env python3
"""Generate N synthetic Sluice ModelDeployment manifests for benchmarking `sluice validate`.

    python3 Benchmarks/generate_manifests.py N OUTDIR [--invalid-share 0.1] [--seed 1]

Writes one manifest per file under OUTDIR/team-XX/[group/]model-NNNNN.yaml and the list of
files that were made invalid on purpose (paths relative to OUTDIR, sorted) to
OUTDIR/expected-invalid.txt. The same N, share and seed always give byte-identical output.

Valid files are valid for both `sluice validate` (schema + semantic pass + one declaration
per model name) and a JSON Schema validator using manifests/modeldeployment.schema.json:
traffic sums to 100 and names declared versions, step weights rise, thresholds point the way
the metric requires, no key is written without a value, model names are unique.

Invalid files carry exactly one mistake that the JSON Schema itself rejects, so both tools
must reject them: an unknown field, a value of the wrong type, a weight of 150, a name that
breaks the DNS-label pattern, a missing required field, or a value outside an enumeration.
Mistakes that only Sluice's semantic pass sees (weights not summing to 100, falling step
weights, thresholds in the wrong direction) are deliberately not used.

Only the standard library is used; the YAML is written by hand, in the styles people write
(block and flow mappings, comments, quoted and plain strings).
"""

import argparse
import hashlib
import os
import random
import shutil
import sys

TEAMS = 40
GROUPS = ["serving", "experiments", "batch", "edge"]
DOMAINS = ["fraud", "churn", "ranking", "search", "pricing", "ads", "vision", "speech",
           "forecast", "recsys", "spam", "credit", "intent", "ocr", "translate", "anomaly"]
KINDS = ["detector", "predictor", "classifier", "scorer", "ranker", "model", "regressor", "tagger"]
RUNTIMES = ["python-v2", "sklearn-v2", "xgboost-v1", "torch-cpu", "onnx-v1", "triton-gpu", "lightgbm"]
TIERS = ["critical", "standard", "best-effort", "experimental"]
INPUTS = ["amount", "tenure_months", "monthly_charges", "contract", "country", "device",
          "age", "merchant_category", "hour_of_day", "basket_size", "query_length", "clicks_7d"]
DISTANCE_TESTS = {"psi": None, "wasserstein": None, "jensen_shannon": 0.8325546111576977, "hellinger": 1.0}
PVALUE_TESTS = ["ks", "chi_square"]
LATENCY = ["latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms"]

MISTAKES = ["unknown-field", "wrong-type", "weight-150", "bad-name", "missing-required", "bad-enum"]


def num(value):
    """A float written the way people do (0.01, 120, 1.2), never in exponent form."""
    text = ("%.4f" % value).rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


class Manifest:
    """A manifest as an ordered tree of Python values, rendered to YAML by `render`."""

    def __init__(self, rng, index, team, group):
        self.rng = rng
        self.index = index
        self.team = team
        self.group = group
        r = rng
        domain = r.choice(DOMAINS)
        self.name = "%s-%s-%05d" % (domain, r.choice(KINDS), index)
        labels = {"team": "team-%02d" % team}
        if r.random() < 0.7:
            labels["tier"] = r.choice(TIERS)
        if r.random() < 0.3:
            labels["sluice.dev/owner"] = "owner_%d" % r.randint(1, 500)
        if r.random() < 0.2:
            labels["cost-center"] = "cc.%04d" % r.randint(1, 9999)
        self.metadata = {"name": self.name, "labels": labels}

        versions = self.version_names(r.choice([1, 1, 2, 2, 2, 3]))
        self.versions = []
        for v in versions:
            entry = {"name": v, "artifact": self.artifact(domain, v)}
            if r.random() < 0.35:
                entry["digest"] = "sha256:" + hashlib.sha256(("%d/%s" % (index, v)).encode()).hexdigest()
            self.versions.append(entry)

        self.spec = {"runtime": r.choice(RUNTIMES), "versions": self.versions}
        if len(versions) > 1 or r.random() < 0.5:
            self.spec["traffic"] = self.traffic(versions)
        if len(versions) > 1 and r.random() < 0.3:
            routing = {}
            if r.random() < 0.7:
                routing["stickyHeader"] = r.choice(["x-user-id", "X-Session-Id", "x-tenant"])
            if not routing or r.random() < 0.4:
                routing["mirror"] = {"version": versions[-1], "percent": r.randint(1, 100)}
            self.spec["routing"] = routing
        if len(versions) > 1 and r.random() < 0.6:
            self.spec["rollout"] = self.rollout()
        if r.random() < 0.5:
            self.spec["monitors"] = self.monitors()
        self.doc = {"apiVersion": "sluice/v1", "kind": "ModelDeployment",
                    "metadata": self.metadata, "spec": self.spec}
        self.flow_traffic = r.random() < 0.5
        self.header_comment = r.random() < 0.3

    def version_names(self, count):
        r = self.rng
        style = r.randrange(4)
        if style == 0:
            major = r.randint(1, 9)
            minor = r.randint(0, 5)
            return ["v%d.%d" % (major, minor + i) for i in range(count)]
        if style == 1:
            start = r.randint(1, 20)
            return ["v%d" % (start + i) for i in range(count)]
        if style == 2:
            return ["control", "treatment", "treatment-b"][:count]
        return ["blue", "green", "canary"][:count]

    def artifact(self, domain, version):
        r = self.rng
        kind = r.randrange(5)
        if kind == 0:
            return "s3://ml-models-%s/%s/%s/model.onnx" % (domain, self.name, version)
        if kind == 1:
            return "gs://models-prod/%s/%s.pt" % (self.name, version)
        if kind == 2:
            return "hf://acme/%s@%s" % (self.name, version)
        return "models/%s/%s/%s.json" % (domain, self.name, version)

    def traffic(self, versions):
        r = self.rng
        if len(versions) == 1:
            return {versions[0]: 100}
        cuts = sorted(r.randint(0, 100) for _ in range(len(versions) - 1))
        bounds = [0] + cuts + [100]
        weights = [bounds[i + 1] - bounds[i] for i in range(len(versions))]
        return dict(zip(versions, weights))

    def rollout(self):
        r = self.rng
        steps = []
        weight = 0
        for _ in range(r.randint(1, 5)):
            kind = r.random()
            if kind < 0.5 and weight < 95:
                weight = r.randint(weight + 1, min(100, weight + 40))
                steps.append({"weight": weight})
            elif kind < 0.85:
                steps.append({"pause": r.choice(["30s", "1m", "5m", "10m", "1h", "1h30m", "250ms", "2h"])})
            else:
                steps.append({"approval": {}})
        rollout = {"steps": steps}
        if r.random() < 0.7:
            analysis = {}
            if r.random() < 0.8:
                analysis["interval"] = r.choice(["30s", "1m", "2m", "5m"])
            if r.random() < 0.6:
                analysis["minRequests"] = r.choice([50, 100, 200, 500, 1000])
            if r.random() < 0.5:
                analysis["failureLimit"] = r.randint(0, 3)
            if r.random() < 0.2:
                analysis["inconclusiveLimit"] = r.randint(0, 2)
            analysis["checks"] = [self.check() for _ in range(r.randint(1, 4))]
            rollout["analysis"] = analysis
        if r.random() < 0.3:
            rollout["onAbort"] = r.choice(["rollback", "revert"])
        if r.random() < 0.2:
            rollout["progressDeadline"] = r.choice(["5m", "10m", "15m", "1h"])
        if r.random() < 0.1:
            rollout["rollbackWindow"] = r.randint(0, 10)
        return rollout

    def threshold(self, metric, allow_ratio):
        """Threshold fields that the semantic pass accepts for `metric` (not a drift metric)."""
        r = self.rng
        if allow_ratio and r.random() < 0.25:
            if metric == "accuracy":
                return {"minRatioToStable": num(r.uniform(0.9, 0.99))}
            return {"maxRatioToStable": num(r.uniform(1.05, 1.5))}
        if metric == "error_rate":
            return {"max": num(r.choice([0.001, 0.005, 0.01, 0.02, 0.05]))}
        if metric == "accuracy":
            return {"min": num(r.uniform(0.7, 0.97))}
        if metric == "mae":
            return {"max": num(r.uniform(0.5, 20))}
        return {"max": str(r.choice([20, 50, 80, 120, 200, 350, 500, 1000]))}

    def drift(self, metric):
        r = self.rng
        out = {"metric": metric}
        if metric == "input_drift" and r.random() < 0.7:
            out["inputs"] = r.sample(INPUTS, r.randint(1, 3))
        if r.random() < 0.6:
            test = r.choice(list(DISTANCE_TESTS))
            bound = DISTANCE_TESTS[test]
            out["test"] = test
            out["max"] = num(r.uniform(0.05, 0.3) if bound is None else r.uniform(0.05, bound * 0.6))
        else:
            out["test"] = r.choice(PVALUE_TESTS)
            out["min"] = num(r.choice([0.01, 0.02, 0.05, 0.1]))
        return out

    def check(self):
        r = self.rng
        metric = r.choice(["error_rate", "accuracy", "mae", "prediction_drift", "input_drift"] + LATENCY)
        if metric in ("input_drift", "prediction_drift"):
            check = self.drift(metric)
            if r.random() < 0.5:
                check["against"] = "stable"
            elif r.random() < 0.5:
                check["against"] = "reference"
                check["reference"] = "baselines/%s/%s.json" % (self.name, metric)
            return check
        check = {"metric": metric}
        check.update(self.threshold(metric, allow_ratio=True))
        return check

    def monitors(self):
        r = self.rng
        out = []
        for i in range(r.randint(1, 3)):
            metric = r.choice(["error_rate", "accuracy", "mae", "prediction_drift", "input_drift"] + LATENCY)
            monitor = {"name": "%s-%d" % (metric.replace("_", "-"), i)}
            if metric in ("input_drift", "prediction_drift"):
                monitor.update(self.drift(metric))
                monitor["reference"] = "baselines/%s/%s.json" % (self.name, metric)
            else:
                monitor["metric"] = metric
                monitor.update(self.threshold(metric, allow_ratio=False))
            if r.random() < 0.7:
                monitor["window"] = r.choice(["5m", "15m", "1h", "6h", "24h"])
            if r.random() < 0.3:
                monitor["minSamples"] = r.choice([100, 500, 1000])
            if r.random() < 0.2:
                monitor["consecutiveWindows"] = r.randint(1, 3)
            if r.random() < 0.5:
                monitor["severity"] = r.choice(["info", "warning", "critical"])
            if r.random() < 0.6:
                monitor["action"] = r.choice(["alert", "rollback", "retrain"])
            out.append(monitor)
        return out

    # ---- mistakes: each one is a JSON Schema violation, hence also a Sluice error ----

    def break_it(self, mistake):
        r = self.rng
        spec = self.spec
        if mistake == "unknown-field":
            choice = r.randrange(4)
            if choice == 0:
                spec["replicas"] = str(r.randint(1, 8))
            elif choice == 1:
                self.metadata["namespace"] = "team-%02d" % self.team
            elif choice == 2:
                v = self.versions[0]
                self.versions[0] = {("artefact" if k == "artifact" else k): val for k, val in v.items()}
            else:
                spec["monitor"] = spec.pop("monitors", None) or self.monitors()
            return
        if mistake == "wrong-type":
            choice = r.randrange(4)
            if choice == 0 and "rollout" in spec and "analysis" in spec["rollout"]:
                spec["rollout"]["analysis"]["minRequests"] = '"200"'
            elif choice == 1:
                self.metadata["labels"]["tier"] = "1"  # an integer label value
            elif choice == 2:
                spec["versions"] = self.versions[0]["name"]  # a string, not a list
            else:
                name = self.versions[0]["name"]
                traffic = spec.get("traffic") or {name: 100}
                traffic[name] = '"%d"' % traffic.get(name, 100)
                spec["traffic"] = traffic
            return
        if mistake == "weight-150":
            rollout = spec.get("rollout")
            if rollout is None:
                rollout = spec["rollout"] = {"steps": [{"pause": "1m"}]}
            rollout["steps"].append({"weight": 150})
            return
        if mistake == "bad-name":
            choice = r.randrange(3)
            if choice == 0:
                self.metadata["name"] = self.name.replace("-", "_", 1)
            elif choice == 1:
                self.metadata["name"] = self.name[0].upper() + self.name[1:]
            else:
                self.metadata["name"] = self.name + "-"
            return
        if mistake == "missing-required":
            choice = r.randrange(4)
            if choice == 0:
                del spec["runtime"]
            elif choice == 1:
                del self.versions[-1]["artifact"]
            elif choice == 2:
                del self.doc["kind"]
            else:
                del self.metadata["name"]
            return
        if mistake == "bad-enum":
            choice = r.randrange(3)
            if choice == 0 and spec.get("monitors"):
                spec["monitors"][0]["severity"] = "high"
            elif choice == 1 and spec.get("rollout"):
                spec["rollout"]["onAbort"] = "undo"
            else:
                monitors = spec.setdefault("monitors", [])
                monitors.append({"name": "errors-x", "metric": "error_rate", "max": "0.05", "action": "page"})
            return
        raise ValueError(mistake)

    # ---- rendering ----

    def render(self):
        lines = []
        if self.header_comment:
            lines.append("# yaml-language-server: $schema=../../manifests/modeldeployment.schema.json")
            lines.append("# Generated by Benchmarks/generate_manifests.py (model %d)." % self.index)
        for key in ("apiVersion", "kind"):
            if key in self.doc:
                lines.append("%s: %s" % (key, self.doc[key]))
        lines.append("metadata:")
        if "name" in self.metadata:
            lines.append("  name: %s" % self.metadata["name"])
        for key in self.metadata:
            if key == "name":
                continue
            if key == "labels":
                lines.append("  labels:")
                for lk, lv in self.metadata["labels"].items():
                    lines.append("    %s: %s" % (lk, lv))
            else:
                lines.append("  %s: %s" % (key, self.metadata[key]))
        lines.append("spec:")
        for key, value in self.spec.items():
            if key == "traffic" and self.flow_traffic:
                lines.append("  traffic: {%s}" % ", ".join("%s: %s" % kv for kv in value.items()))
            else:
                emit(lines, key, value, 1)
        return "\n".join(lines) + "\n"


def scalar(value):
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def emit(lines, key, value, depth):
    pad = "  " * depth
    if isinstance(value, dict) and value:
        lines.append("%s%s:" % (pad, key))
        for k, v in value.items():
            emit(lines, k, v, depth + 1)
    elif isinstance(value, list):
        if value and all(not isinstance(v, (dict, list)) for v in value):
            lines.append("%s%s: [%s]" % (pad, key, ", ".join(scalar(v) for v in value)))
            return
        lines.append("%s%s:" % (pad, key))
        for item in value:
            emit_item(lines, item, depth + 1)
    else:
        lines.append("%s%s: %s" % (pad, key, scalar(value)))


def emit_item(lines, item, depth):
    pad = "  " * depth
    if isinstance(item, dict) and item:
        first = True
        for k, v in item.items():
            sub = []
            emit(sub, k, v, depth + 1)
            head = sub[0][len("  " * (depth + 1)):]
            lines.append("%s%s%s" % (pad, "- " if first else "  ", head))
            lines.extend(sub[1:])
            first = False
    else:
        lines.append("%s- %s" % (pad, scalar(item)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of manifests")
    parser.add_argument("outdir", help="directory to write (emptied first)")
    parser.add_argument("--invalid-share", type=float, default=0.1, help="share of invalid manifests (default 0.1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.count < 1 or not 0 <= args.invalid_share <= 1:
        parser.error("count must be >= 1 and --invalid-share within 0..1")

    if os.path.isdir(args.outdir):
        shutil.rmtree(args.outdir)
    os.makedirs(args.outdir)
    rng = random.Random(args.seed)
    invalid_count = round(args.count * args.invalid_share)
    invalid = set(rng.sample(range(args.count), invalid_count))
    expected = []
    for i in range(args.count):
        team = i % TEAMS
        group = GROUPS[rng.randrange(len(GROUPS))] if rng.random() < 0.5 else None
        # Each manifest has its own generator, so files do not depend on the others' mistakes.
        manifest = Manifest(random.Random("%d/%d" % (args.seed, i)), i, team, group)
        if i in invalid:
            manifest.break_it(MISTAKES[i % len(MISTAKES)] if rng.random() < 0.5 else rng.choice(MISTAKES))
        parts = ["team-%02d" % team] + ([group] if group else []) + ["model-%05d.yaml" % i]
        relative = "/".join(parts)
        path = os.path.join(args.outdir, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(manifest.render())
        if i in invalid:
            expected.append(relative)
    with open(os.path.join(args.outdir, "expected-invalid.txt"), "w", encoding="utf-8") as handle:
        handle.write("".join(p + "\n" for p in sorted(expected)))
    print("%d manifests in %s, %d invalid on purpose" % (args.count, args.outdir, len(expected)), file=sys.stderr)


if __name__ == "__main__":
    main()
