#!/usr/bin/env python3
"""Helpers for validate-vs-check-jsonschema.sh: per-file verdicts and the results table.

    compare_verdicts.py verdicts EXPECTED SLUICE_JSON CHECK_JSONSCHEMA_JSON [--out RESULT_JSON]
        Compares the set of files each tool rejects with the intended-invalid list. Paths are
        compared as given (both tools are run from the manifest directory, so they are relative).
        Prints every disagreement with what each tool said about the file; exits 0 when all
        three sets are equal, 1 otherwise.

    compare_verdicts.py table RESULT_DIR N [N...]
        Prints the Markdown results table (medians) from the hyperfine exports and verdict
        results. The ratio is check-jsonschema's median over sluice's (directory, both cores).
"""

import json
import os
import sys


def norm(path):
    return os.path.normpath(path)


def sluice_invalid(report):
    bad = {}
    for d in report.get("diagnostics", []):
        if d.get("severity") == "error":
            bad.setdefault(norm(d["file"]), []).append(
                "%s:%s %s %s: %s" % (d.get("line"), d.get("column"), d.get("code"), d.get("field"), d.get("message")))
    return bad


def cj_invalid(report):
    bad = {}
    for e in report.get("errors", []):
        bad.setdefault(norm(e["filename"]), []).append("%s: %s" % (e.get("path"), e.get("message")))
    for e in report.get("parse_errors", []):
        name = e.get("filename") or e.get("path") or "?"
        bad.setdefault(norm(name), []).append("parse error: %s" % (e.get("message") or e))
    return bad


def verdicts(argv):
    out = None
    if "--out" in argv:
        i = argv.index("--out")
        out = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    expected_path, sluice_path, cj_path = argv
    expected = {norm(line.strip()) for line in open(expected_path) if line.strip()}
    with open(sluice_path) as handle:
        sluice_report = json.load(handle)
    with open(cj_path) as handle:
        cj_report = json.load(handle)
    s = sluice_invalid(sluice_report)
    c = cj_invalid(cj_report)
    agree = set(s) == set(c) == expected
    result = {
        "files": sluice_report.get("files"),
        "expected_invalid": len(expected),
        "sluice_invalid": len(s),
        "check_jsonschema_invalid": len(c),
        "sluice_errors": sum(len(v) for v in s.values()),
        "check_jsonschema_errors": sum(len(v) for v in c.values()),
        "agree": agree,
        "disagreements": [],
    }
    print("files: %s  expected invalid: %d  sluice rejects: %d (%d errors)  check-jsonschema rejects: %d (%d errors)"
          % (result["files"], len(expected), len(s), result["sluice_errors"], len(c), result["check_jsonschema_errors"]))
    for path in sorted(set(s) | set(c) | expected):
        verdict = (path in expected, path in s, path in c)
        if verdict in ((True, True, True),):
            continue
        entry = {"file": path, "expected_invalid": verdict[0], "sluice_rejects": verdict[1],
                 "check_jsonschema_rejects": verdict[2], "sluice": s.get(path, []), "check_jsonschema": c.get(path, [])}
        result["disagreements"].append(entry)
        print("DISAGREE %s: expected %s, sluice %s, check-jsonschema %s" % (
            path, "invalid" if verdict[0] else "valid", "rejects" if verdict[1] else "accepts",
            "rejects" if verdict[2] else "accepts"))
        for line in s.get(path, [])[:5]:
            print("    sluice: " + line)
        for line in c.get(path, [])[:5]:
            print("    check-jsonschema: " + line)
    print("verdicts agree: %s" % ("yes" if agree else "NO (%d files differ)" % len(result["disagreements"])))
    if out:
        with open(out, "w") as handle:
            json.dump(result, handle, indent=2)
    return 0 if agree else 1


def seconds(value):
    return "%.3f s" % value if value >= 0.1 else "%.1f ms" % (value * 1000)


def table(argv):
    result_dir, counts = argv[0], argv[1:]
    print("| manifests | sluice validate DIR | sluice, 1 core | sluice, files as args | sluice --files-from | check-jsonschema | ratio | verdicts agree |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for n in counts:
        with open(os.path.join(result_dir, "hyperfine-%s.json" % n)) as handle:
            runs = {r["command"]: r for r in json.load(handle)["results"]}
        try:
            with open(os.path.join(result_dir, "verdicts-%s.json" % n)) as handle:
                v = json.load(handle)
            agree = "yes (%d/%d invalid)" % (v["sluice_invalid"], v["files"]) if v["agree"] else \
                "NO: %d files differ" % len(v["disagreements"])
        except FileNotFoundError:
            agree = "not checked"
        s = runs["sluice"]["median"]
        one = runs.get("sluice-1core", {}).get("median")
        files = runs.get("sluice-files", {}).get("median")
        listed = runs.get("sluice-list", {}).get("median")
        c = runs["check-jsonschema"]["median"]
        print("| %s | %s | %s | %s | %s | %s | %.1fx | %s |" % (
            "{:,}".format(int(n)), seconds(s), seconds(one) if one else "-", seconds(files) if files else "-",
            seconds(listed) if listed else "-", seconds(c), c / s, agree))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("verdicts", "table"):
        print(__doc__, file=sys.stderr)
        return 2
    return verdicts(sys.argv[2:]) if sys.argv[1] == "verdicts" else table(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
