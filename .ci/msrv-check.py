#!/usr/bin/env python3
"""Check that Cargo.toml's rust-version is at least every dependency's.

Only the toolchain CI installs is available where .ci/run runs, so the
declared minimum cannot be compiled with here (the GitHub `msrv` job does
that). What can be checked anywhere: no crate in the locked dependency
graph (normal, build and dev dependencies, every platform) declares a
rust-version above ours. clippy's `incompatible_msrv` lint covers our own
use of the standard library against the same value.

Usage: python3 .ci/msrv-check.py   (from the repository root)
"""

import json
import subprocess
import sys


def version(text):
    """`1.88` and `1.88.0` are the same version."""
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    root = metadata["resolve"]["root"]
    ours = packages[root].get("rust_version")
    if not ours:
        print("Cargo.toml declares no rust-version", file=sys.stderr)
        return 1

    # Everything the package builds with: dev-dependencies of the package
    # itself count (its tests build on the MSRV job), those of
    # dependencies do not.
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            if node != root and kinds == {"dev"}:
                continue
            stack.append(dep["pkg"])

    above = sorted(
        (
            (version(p["rust_version"]), p["name"], p["version"], p["rust_version"])
            for p in (packages[i] for i in seen if i != root)
            if p.get("rust_version") and version(p["rust_version"]) > version(ours)
        ),
        reverse=True,
    )
    highest = max(
        (version(packages[i]["rust_version"]) for i in seen if packages[i].get("rust_version")),
        default=version(ours),
    )
    if above:
        print(f"rust-version = {ours} in Cargo.toml, but these crates need more:", file=sys.stderr)
        for _, name, ver, needs in above:
            print(f"  {name} {ver}: rust-version {needs}", file=sys.stderr)
        print("raise rust-version in Cargo.toml (and the MSRV job follows it)", file=sys.stderr)
        return 1
    print(
        f"rust-version {ours} covers all {len(seen) - 1} crates of the graph "
        f"(highest declared: {'.'.join(map(str, highest[:2]))})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
