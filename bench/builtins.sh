#!/usr/bin/env bash
# Micro-benchmark of the built-in hygiene checks: `hephaestus builtin ID`
# against the `pre-commit-hooks` console scripts (the reference, pinned as in
# tests/it/hygiene_diff.rs) on the same files. Informational: it times the
# checks alone, not a hook run (that comparison, with prek and pre-commit,
# belongs to the step integration).
#
# The repository is the shared bench shape (N tracked .py files, 100 per
# directory, `VALUE = i`) plus Y small YAML files for check-yaml. Each check
# gets every matching tracked file on its command line (xargs splits at the
# argument limit, as pre-commit batches), with the options that make it read
# every file: check-merge-conflict --assume-in-merge,
# check-added-large-files --enforce-all.
#
# Usage: bench/builtins.sh [--files N] [--yaml N] [--runs N] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
NFILES=50000 NYAML=2000 RUNS=5
OUT="${OUT:-$(mktemp -d)}"
while [ $# -gt 0 ]; do
  case "$1" in
    --files) NFILES="$2"; shift 2;;
    --yaml) NYAML="$2"; shift 2;;
    --runs) RUNS="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done

cargo build --release --locked
HEPH="$PWD/target/release/hephaestus"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hephaestus-bench"
VENV="$CACHE/hygiene-venv"
mkdir -p "$CACHE" "$OUT"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
if [ ! -x "$VENV/bin/check-yaml" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check pre-commit-hooks==6.0.0 ruamel.yaml==0.19.1
fi

REPO="$OUT/repo"
rm -rf "$REPO"; mkdir -p "$REPO"; cd "$REPO"
git init -q; git config user.email bench@example.com; git config user.name bench
git config commit.gpgsign false
python3 - "$NFILES" "$NYAML" <<'PY'
import os, sys
n, y = int(sys.argv[1]), int(sys.argv[2])
per = 100
for i in range(n):
    d = f"pkg{i // per}/sub"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/mod{i % per}.py", "w") as fh:
        fh.write(f"VALUE = {i}\n")
os.makedirs("conf", exist_ok=True)
for i in range(y):
    with open(f"conf/service{i}.yaml", "w") as fh:
        fh.write(f"name: service-{i}\nreplicas: {i % 5 + 1}\nports:\n  - 80\n  - {8000 + i}\n"
                 f"env:\n  LEVEL: info\n  ID: \"{i}\"\nanchors:\n  base: &b {{cpu: 1, mem: 2Gi}}\n  derived:\n    <<: *b\n    cpu: 2\n")
PY
git add -A >/dev/null; git commit -qm bench

# name | reference console script | hephaestus id | options | file selection
checks=(
  "trailing-whitespace|trailing-whitespace-fixer|trailing-whitespace||."
  "end-of-file-fixer|end-of-file-fixer|end-of-file-fixer||."
  "check-yaml|check-yaml|check-yaml||*.yaml"
  "check-merge-conflict|check-merge-conflict|check-merge-conflict|--assume-in-merge|."
  "check-added-large-files|check-added-large-files|check-added-large-files|--enforce-all|."
)
echo "repository: $NFILES .py files + $NYAML .yaml files; $RUNS runs each"
for entry in "${checks[@]}"; do
  IFS='|' read -r name script id opts sel <<<"$entry"
  list="$OUT/$name.files"
  git ls-files -z -- "$sel" >"$list"
  hyperfine --warmup 1 --runs "$RUNS" --style basic \
    --export-json "$OUT/$name.json" \
    -n "hephaestus builtin $id" "xargs -0 -a '$list' '$HEPH' builtin $id $opts" \
    -n "pre-commit-hooks $script" "xargs -0 -a '$list' '$VENV/bin/$script' $opts" \
    >/dev/null || true
done
python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print(f"{'check':<26} {'hephaestus':>12} {'pre-commit-hooks':>18} {'ratio':>8}")
for f in sorted(out.glob("*.json")):
    r = {x["command"].split()[0]: x["mean"] for x in json.loads(f.read_text())["results"]}
    h, p = r.get("hephaestus"), r.get("pre-commit-hooks")
    if h and p:
        print(f"{f.stem:<26} {h:>11.3f}s {p:>17.3f}s {p / h:>7.1f}x")
PY
echo "raw results: $OUT"
