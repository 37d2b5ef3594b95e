#!/usr/bin/env bash
# Guard-rails' own overhead: `hephaestus guard-rails` against a shell script
# that runs the same tools by hand, on a small project. The tools are cheap
# programs so the difference is hephaestus's own time.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
heph="$PWD/target/release/hephaestus"
dir="$(mktemp -d)"
cd "$dir"
git init -q && git config user.email bench@example.com && git config user.name bench
for i in $(seq 1 20); do echo "x = $i" > "m$i.py"; done
cat > hephaestus.toml <<'TOML'
[guard-rails]
presets = []

[[guard-rails.steps]]
name = "lint"
run = ["grep", "-q", "x"]
files = ["*.py"]

[[guard-rails.steps]]
name = "types"
run = ["wc", "-l"]
files = ["*.py"]

[[guard-rails.steps]]
name = "tests"
run = ["true"]
files = ["*.py"]
scope = "project"
TOML
git add -A && git commit -qm init
cat > by-hand.sh <<'SH'
#!/bin/sh
files=$(git ls-files '*.py')
grep -q x $files && wc -l $files >/dev/null && true
SH
chmod +x by-hand.sh
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
hyperfine -N --warmup 3 --runs 30 "./by-hand.sh" "$heph guard-rails -q"
