#!/usr/bin/env python3
"""Writes hostile YAML manifests that `sluice validate` must refuse cheaply (issue 11, item 8).

    python3 Benchmarks/yaml_bombs.py OUT_DIR

Each file stays far below the 1 MiB manifest limit; aliases multiply what it stands for:

- one-doc.yaml: one ~2.6 KB document whose `spec.versions` lists one mapping of 300 unknown
  fields 160 times: under the per-document cap of the old composer (96,000 nodes), but
  48,000 diagnostics.
- many-docs.yaml: 40 such documents in one file (~105 KB): each used to get its own budget.
- many-files/NN.yaml: 40 files of one such document each (a repository read).
- docs-under-cap.yaml: 10 documents whose aliases stand for ~3,000 nodes each: each under any
  per-document cap, together over the per-file budget.
- files-under-cap/NN.yaml: 40 files whose aliases stand for ~9,000 nodes each: each under the
  per-file budget, together over the per-read budget.
- errors.yaml: no aliases, 5,000 unknown fields written out: thousands of real diagnostics.
- big-errors.yaml: no aliases, ~1 MiB of unknown fields (the largest file accepted).
- big-list.yaml: no aliases, ~1 MiB of `versions: [{}, {}, …]`: two errors per 3 bytes.
- under-node-cap.yaml: no aliases, 49,000 unknown fields (~600 KB): just under the
  100,000-node cap of a document, so every field is validated.
- tiny-docs.yaml: ~1 MiB of 170,000 one-word documents, one error each.
- laughs.yaml: the classic nested "billion laughs".
"""

import os
import sys


def document(index: int, keys: int = 300, copies: int = 160) -> str:
    fields = ", ".join(f"k{i}: 1" for i in range(keys))
    aliases = ", ".join(["*m"] * copies)
    return (
        "apiVersion: sluice/v1\nkind: ModelDeployment\n"
        f"metadata: {{name: bomb-{index}}}\n"
        f"x: &m {{{fields}}}\n"
        f"spec:\n  runtime: r\n  versions: [{aliases}]\n"
    )


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/.work/bombs"
    os.makedirs(os.path.join(out, "many-files"), exist_ok=True)
    with open(os.path.join(out, "one-doc.yaml"), "w") as f:
        f.write(document(0))
    with open(os.path.join(out, "many-docs.yaml"), "w") as f:
        f.write("---\n".join(document(i) for i in range(40)))
    for i in range(40):
        with open(os.path.join(out, "many-files", f"{i:02d}.yaml"), "w") as f:
            f.write(document(i))
    with open(os.path.join(out, "docs-under-cap.yaml"), "w") as f:
        f.write("---\n".join(document(i, keys=100, copies=15) for i in range(10)))
    os.makedirs(os.path.join(out, "files-under-cap"), exist_ok=True)
    for i in range(40):
        with open(os.path.join(out, "files-under-cap", f"{i:02d}.yaml"), "w") as f:
            f.write(document(i, keys=150, copies=30))
    header = "apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: big\n"
    with open(os.path.join(out, "big-errors.yaml"), "w") as f:
        lines, size, i = [], len(header), 0
        while size < 1_000_000:
            line = f"u{i}: 1\n"
            lines.append(line)
            size += len(line)
            i += 1
        f.write(header + "".join(lines))
    with open(os.path.join(out, "big-list.yaml"), "w") as f:
        prefix = header + "spec:\n  runtime: r\n  versions: ["
        f.write(prefix + ",".join(["{}"] * ((1_000_000 - len(prefix)) // 3)) + "]\n")
    with open(os.path.join(out, "under-node-cap.yaml"), "w") as f:
        f.write(header + "".join(f"u{i}: 1\n" for i in range(49_000)))
    with open(os.path.join(out, "tiny-docs.yaml"), "w") as f:
        f.write("---\nx\n" * (1_000_000 // 6))
    with open(os.path.join(out, "errors.yaml"), "w") as f:
        f.write("apiVersion: sluice/v1\nkind: ModelDeployment\nmetadata:\n  name: errors\n")
        f.write("".join(f"u{i}: 1\n" for i in range(5000)))
    with open(os.path.join(out, "laughs.yaml"), "w") as f:
        f.write("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
        for level in range(1, 10):
            f.write(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]\n")


if __name__ == "__main__":
    main()
