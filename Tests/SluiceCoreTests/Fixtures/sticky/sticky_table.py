#!/usr/bin/env python3
"""An independent port of the sticky-routing hash and version choice, for VersionPickerTests.

    python3 Tests/SluiceCoreTests/Fixtures/sticky/sticky_table.py

The hash is FNV-1a 64 over the key's UTF-8 bytes, then splitmix64's finalizer (Steele,
Lea and Flood's mix, constants 0xbf58476d1ce4e5b9 and 0x94d049bb133111eb, shifts 30, 27,
31). Its top 53 bits are a position in [0, 1); the version is the one whose cumulative
weight range, in the spec's version order, holds position * total weight. Prints the
pinned hashes and assignment table as Swift literals.
"""
MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & MASK
    return h


def splitmix64_finalizer(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def sticky_hash(key: str) -> int:
    return splitmix64_finalizer(fnv1a64(key.encode("utf-8")))


def choose(key: str, versions: list[tuple[str, int]]) -> str:
    position = (sticky_hash(key) >> 11) / float(1 << 53)
    total = sum(weight for _, weight in versions)
    target = position * total
    cumulative = 0.0
    for name, weight in versions:
        if weight <= 0:
            continue
        cumulative += weight
        if target < cumulative:
            return name
    return [name for name, weight in versions if weight > 0][-1]


# The port is checked against published vectors before anything is printed: FNV-1a 64 from
# Fowler, Noll and Vo's test suite; splitmix64's first output for seed 0 (state + golden gamma).
assert fnv1a64(b"") == 0xCBF29CE484222325
assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
assert fnv1a64(b"foobar") == 0x85944171F73967E8
assert splitmix64_finalizer(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF

KEYS = ["", "a", "user-1", "user-2", "user-42", "alice@example.com", "h\u00e9llo", "\U0001F600", "x" * 64]
# VersionPickerTests.pinnedAssignments (spec order v1, v2, v3) and
# pinnedAssignmentsFromManifest (a manifest listing v3, v1, v2: the route keeps its order).
SPLITS = [[("v1", 50), ("v2", 30), ("v3", 20)], [("v3", 20), ("v1", 50), ("v2", 30)]]

if __name__ == "__main__":
    def literal(key: str) -> str:
        return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def hexadecimal(value: int) -> str:
        digits = f"{value:016x}"
        return "0x" + "_".join(digits[i:i + 4] for i in range(0, 16, 4))

    print("// hashes")
    for key in KEYS:
        print(f"({literal(key)}, {hexadecimal(sticky_hash(key))}),")
    users = [f"user-{i}" for i in range(40)]
    for split in SPLITS:
        print("// assignments of user-0...user-39 for", split)
        for row in range(0, len(users), 8):
            print(" ".join(f'"{choose(u, split)}",' for u in users[row:row + 8]))
