#!/usr/bin/env bash
# Two builds of hephaestus side by side (issue 14: before and after the
# run-path renovation): the hook bench scenario (50,000 files, 100 staged,
# 25 of them with unstaged edits, one no-op step on *.py) and the
# git-reads pairs, in one hyperfine run each.
#   bench/before-after.sh BASE_BINARY NEW_BINARY
set -euo pipefail
BASE=${1:?usage: bench/before-after.sh BASE_BINARY NEW_BINARY}
NEW=${2:?usage: bench/before-after.sh BASE_BINARY NEW_BINARY}
R=$(mktemp -d); cd "$R"
git init -q; git config user.email b@example.com; git config user.name b; git config commit.gpgsign false
python3 - <<'PY'
import os
for i in range(50000):
    d = f"pkg{i // 100}/sub"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/mod{i % 100}.py", "w") as fh:
        fh.write(f"VALUE = {i}\n")
PY
cat > hephaestus.toml <<'TOML'
[guard-rails]
presets = []

[[guard-rails.steps]]
name = "noop"
run = ["true"]
files = ["*.py"]
TOML
git add -A; git commit -qm init
for i in $(seq 0 99); do echo "EXTRA = 1" >> "pkg$i/sub/mod1.py"; done
git add -A
for i in $(seq 0 24); do echo "UNSTAGED = 1" >> "pkg$i/sub/mod1.py"; done
for b in $BASE $NEW; do $b hook run pre-commit >/dev/null; $b hook run pre-commit --all-files >/dev/null; done
hyperfine -N --warmup 3 --runs 30 \
  -n "before: hook run pre-commit" "$BASE hook run pre-commit" \
  -n "after: hook run pre-commit" "$NEW hook run pre-commit" \
  -n "before: --all-files" "$BASE hook run pre-commit --all-files" \
  -n "after: --all-files" "$NEW hook run pre-commit --all-files" 2>&1 | grep -E "Benchmark|Time"
hyperfine -N --warmup 5 --runs 50 \
  -n "git diff --cached --name-only" "git diff --cached --name-only" \
  -n "before: files" "$BASE files" -n "after: files" "$NEW files" \
  -n "git ls-files" "git ls-files" \
  -n "before: files --all-files" "$BASE files --all-files" -n "after: files --all-files" "$NEW files --all-files" 2>&1 | grep -E "Benchmark|Time"
[ "$(git diff --name-only | wc -l)" -eq 25 ] && echo "unstaged edits intact"
