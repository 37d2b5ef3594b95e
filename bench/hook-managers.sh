#!/usr/bin/env bash
# Reproduce the hook-manager comparison: build the release binary, then run
# the shared scenario (50,000 tracked files, 100 staged, 25 of them with
# unstaged edits, one no-op step on *.py) against pre-commit, prek and
# lefthook. Extra arguments go to the shared script (--runs N, --with-hk,
# --files N, --staged N, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
shared="${SHARED:-../shared}"
script="$shared/bench/compare-hook-managers.sh"
[ -f "$script" ] || { echo "missing $script (set SHARED=path/to/shared)" >&2; exit 2; }
exec bash "$script" --hephaestus "$PWD/target/release/hephaestus" "$@"
