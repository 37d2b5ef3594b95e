#!/usr/bin/env bash
# The keeper's phases against git itself: on a generated repository (N
# tracked files, S staged, S/4 of them with unstaged edits, one no-op step
# on *.py, the shared scenario of compare-hook-managers.sh), run
# `hephaestus -v hook run pre-commit` R times and report the median of
# each phase from its `-v` timings (taking the work tree's lock, finding
# the staged files, setting unstaged work aside, putting it back, the whole
# run), next to `git diff --name-only` on the same repository, the two
# interleaved round by round.
#
# Usage: bench/keeper.sh [--files N] [--staged S] [--runs R] [--repo DIR]
#                        [--hephaestus PATH]
# --repo reuses a repository (e.g. the `repo` of a compare-hook-managers.sh
# --out directory) instead of generating one.
set -euo pipefail
cd "$(dirname "$0")/.."
NFILES=50000 NSTAGED=100 RUNS=15 REPO="" HEPH=""
while [ $# -gt 0 ]; do
  case "$1" in
    --files) NFILES="$2"; shift 2;;
    --staged) NSTAGED="$2"; shift 2;;
    --runs) RUNS="$2"; shift 2;;
    --repo) REPO="$2"; shift 2;;
    --hephaestus) HEPH="$2"; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
if [ -z "$HEPH" ]; then
  cargo build --release --locked
  HEPH="$PWD/target/release/hephaestus"
fi
HEPH="$(cd "$(dirname "$HEPH")" && pwd)/$(basename "$HEPH")"

if [ -z "$REPO" ]; then
  REPO="$(mktemp -d)/repo"
  mkdir -p "$REPO" && cd "$REPO"
  git init -q && git config user.email bench@example.com && git config user.name bench
  git config commit.gpgsign false
  python3 - "$NFILES" <<'PY'
import os, sys
n = int(sys.argv[1])
for i in range(n):
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
  git add -A && git commit -qm init
  for i in $(seq 0 $((NSTAGED - 1))); do echo "EXTRA = 1" >> "pkg$i/sub/mod1.py"; done
  git add -A
  for i in $(seq 0 $((NSTAGED / 4 - 1))); do echo "UNSTAGED = 1" >> "pkg$i/sub/mod1.py"; done
fi
cd "$REPO"
"$HEPH" hook run pre-commit >/dev/null 2>&1 || true # warm the caches

# Interleave the two so that both see the same machine load: each round
# times `git diff --name-only`, then one `hephaestus -v hook run
# pre-commit` whose phase timings it reads.
python3 - "$HEPH" "$RUNS" <<'PY'
import re, statistics, subprocess, sys, time
heph, runs = sys.argv[1], int(sys.argv[2])
def git_out(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True).stdout
tracked = len(git_out("ls-files").splitlines())
staged = len(git_out("diff", "--cached", "--name-only").splitlines())
unstaged = len(git_out("diff", "--name-only").splitlines())
rows = {k: [] for k in ["take the lock", "staged files", "set aside", "put back", "whole run", "git diff --name-only"]}
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(["git", "diff", "--name-only"], stdout=subprocess.DEVNULL)
    rows["git diff --name-only"].append((time.perf_counter() - t) * 1000)
    err = subprocess.run([heph, "-v", "hook", "run", "pre-commit"], capture_output=True, text=True).stderr
    at = {}
    for line in err.splitlines():
        m = re.match(r"\[\s*([0-9.]+) ms\] (.*)", line.strip())
        if m:
            at[m.group(2)] = float(m.group(1))
    def find(pred):
        return next((v for k, v in at.items() if pred(k)), None)
    opened, locked = find(lambda k: k == "repository opened"), find(lambda k: k == "work tree locked")
    loaded, scope = find(lambda k: k == "configuration loaded"), find(lambda k: "files in scope" in k)
    planned, aside = find(lambda k: k == "planned"), find(lambda k: "set aside" in k)
    steps, back = find(lambda k: k == "steps finished"), find(lambda k: k == "unstaged changes restored")
    for name, a, b in [("take the lock", opened, locked), ("staged files", loaded, scope),
                       ("set aside", planned, aside), ("put back", steps, back), ("whole run", 0.0, back)]:
        if a is not None and b is not None:
            rows[name].append(b - a)
after = len(git_out("diff", "--name-only").splitlines())
if after != unstaged:
    print("warning: the unstaged edits changed", file=sys.stderr)
print(f"repository: {tracked} tracked files, {staged} staged, {unstaged} with unstaged edits; {runs} interleaved rounds")
gmed = statistics.median(rows["git diff --name-only"])
print(f"{'phase':<22} {'median ms':>10}")
for name, vals in rows.items():
    med = statistics.median(vals) if vals else float("nan")
    extra = f"   {med / gmed:.2f}x git diff --name-only" if name == "set aside" else ""
    print(f"{name:<22} {med:>10.1f}{extra}")
PY
