#!/usr/bin/env bash
# Issue 16's speed check: the five most common pre-commit-hooks checks
# (trailing-whitespace, end-of-file-fixer, check-yaml, check-merge-conflict,
# check-added-large-files) over every file of the shared bench repository
# (N tracked .py files, 100 per directory, plus Y small YAML files), as a
# hook manager runs them in CI (`--all-files`):
#   hephaestus  built-in steps (`builtin = "<id>"` in hephaestus.toml)
#   prek        the same ids from `repo: builtin` (its Rust fast path)
#   pre-commit  the pre-commit-hooks package (pinned as in the differential
#               test), from a `repo: local` python hook: pre-commit builds
#               its environment once, then runs the console scripts in
#               batches, as it does for the GitHub repository
# Every tool checks the same files with the same options and all pass
# (the repository is clean), so the times compare the checks themselves.
# Prints hyperfine's table and each tool's time divided by hephaestus's.
#
# Usage: bench/hook-builtins.sh [--files N] [--yaml N] [--runs N] [--out DIR]
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

cargo build --release --locked --quiet
HEPH="$PWD/target/release/hephaestus"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hephaestus-bench"
mkdir -p "$CACHE" "$OUT"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
if [ ! -x "$CACHE/venv/bin/prek" ] || [ ! -x "$CACHE/venv/bin/pre-commit" ]; then
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q --disable-pip-version-check pre-commit prek
fi
export PATH="$CACHE/venv/bin:$PATH"
export PRE_COMMIT_HOME="$CACHE/pre-commit-home" PREK_HOME="$CACHE/prek-home"

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
    with open(f"conf/c{i}.yaml", "w") as fh:
        fh.write(f"name: c{i}\nitems:\n  - {i}\n  - {i + 1}\n")
PY
IDS="trailing-whitespace end-of-file-fixer check-yaml check-merge-conflict check-added-large-files"
{
  echo '[guard-rails]'
  echo 'presets = []'
  echo 'disable = ["cleanup"]'
  for id in $IDS; do
    printf '\n[[guard-rails.steps]]\nname = "%s"\nbuiltin = "%s"\n' "$id" "$id"
  done
} > hephaestus.toml
{
  echo 'repos:'
  echo '- repo: builtin'
  echo '  hooks:'
  for id in $IDS; do echo "  - id: $id"; done
} > prek.yaml
# The pre-commit-hooks manifest's entry and file types for each id.
cat > pre-commit.yaml <<'YAML'
repos:
- repo: local
  hooks:
  - {id: trailing-whitespace, name: trailing-whitespace, entry: trailing-whitespace-fixer, language: python, types: [text], additional_dependencies: ["pre-commit-hooks==6.0.0"]}
  - {id: end-of-file-fixer, name: end-of-file-fixer, entry: end-of-file-fixer, language: python, types: [text], additional_dependencies: ["pre-commit-hooks==6.0.0"]}
  - {id: check-yaml, name: check-yaml, entry: check-yaml, language: python, types: [yaml], additional_dependencies: ["pre-commit-hooks==6.0.0", "ruamel.yaml==0.19.1"]}
  - {id: check-merge-conflict, name: check-merge-conflict, entry: check-merge-conflict, language: python, types: [text], additional_dependencies: ["pre-commit-hooks==6.0.0"]}
  - {id: check-added-large-files, name: check-added-large-files, entry: check-added-large-files, language: python, additional_dependencies: ["pre-commit-hooks==6.0.0"]}
YAML
git add -A; git commit -qm init --no-verify
# Warm every tool once (pre-commit builds its environment; each must pass).
"$HEPH" hook run pre-commit --all-files >/dev/null
prek run --all-files -c prek.yaml >/dev/null
pre-commit run --all-files -c pre-commit.yaml >/dev/null
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/hook-builtins.json" \
  -n hephaestus "$HEPH hook run pre-commit --all-files" \
  -n prek "prek run --all-files -c prek.yaml" \
  -n pre-commit "pre-commit run --all-files -c pre-commit.yaml"
python3 - "$OUT/hook-builtins.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
h = r["hephaestus"]
print(f"{'tool':<12}{'mean s':>10}{'/ hephaestus':>14}")
for k, v in r.items():
    print(f"{k:<12}{v:>10.3f}{v / h:>14.1f}x")
PY
