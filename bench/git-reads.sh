#!/usr/bin/env bash
# The git layer against git itself on the benchmark repository: listing the
# staged paths (`hephaestus files`) against `git diff --cached --name-only`,
# and every tracked path (`hephaestus files --all-files`) against
# `git ls-files`. Run bench/hook-managers.sh first, or pass --repo DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo="$2"; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
cargo build --release --locked
heph="$PWD/target/release/hephaestus"
if [ -z "$repo" ]; then
  out="$(mktemp -d)"
  # Reuse the shared scenario's generator: 50,000 files, 100 staged.
  repo="$out/repo"
  mkdir -p "$repo" && cd "$repo"
  git init -q && git config user.email bench@example.com && git config user.name bench
  python3 - <<'PY'
import os
for i in range(50000):
    d = f"pkg{i // 100}/sub"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/mod{i % 100}.py", "w") as fh:
        fh.write(f"VALUE = {i}\n")
PY
  git add -A && git commit -qm init
  for i in $(seq 0 99); do echo "EXTRA = 1" >> "pkg$i/sub/mod1.py"; done
  git add -A
  cd - >/dev/null
fi
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cd "$repo"
hyperfine -N --warmup 3 --runs 30 \
  "git diff --cached --name-only" "$heph files" \
  "git ls-files" "$heph files --all-files"
