#!/usr/bin/env bash
# Issue 13's speed check, on each corpus project: `hephaestus hook run
# pre-commit` against the same tools run by hand and against prek running
# them as `repo: local` hooks.
#
# Each project is checked out as tests/corpus/checkout.sh makes it (run
# tests/corpus/fetch.sh first), with its venv as .venv, `hephaestus init`
# and one staged clean change (the clean side of its partially staged
# change in tests/corpus/seeds.toml). One hephaestus run (JSON) says which
# commands its steps ran, with which files; "by hand" is those exact
# commands one after another in a shell script, and prek gets the same
# command lines as local hooks. Every tool's cache is warm (one run
# first). The three run in interleaved rounds (bench/paired.py): per
# project, the median of each and the median of its difference with by
# hand in the same round (the overhead). The tools' own run-to-run noise
# (mypy: tens of ms) hides a few ms of overhead, so a second measurement,
# the floor, runs the same steps with every tool replaced by `true`:
# hephaestus's own cost per run, with little noise.
#
# Usage: bench/corpus-overhead.sh [--runs N] [--out DIR] [PROJECT...]
#   default projects: click itsdangerous attrs hupper more-itertools strsim
#   HEPH=path uses that binary instead of building target/release.
#   prek comes from the venv bench/hook-builtins.sh makes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=30
OUT="${OUT:-$(mktemp -d)}"
projects=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    -*) echo "unknown option: $1" >&2; exit 2;;
    *) projects+=("$1"); shift;;
  esac
done
[ ${#projects[@]} -gt 0 ] || projects=(click itsdangerous attrs hupper more-itertools strsim)

if [ -z "${HEPH:-}" ]; then
  cargo build --release --locked --quiet
  HEPH="$PWD/target/release/hephaestus"
fi
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hephaestus-bench"
if [ ! -x "$CACHE/venv/bin/prek" ]; then
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q --disable-pip-version-check prek
fi
PREK="$CACHE/venv/bin/prek"
export PREK_HOME="$CACHE/prek-home" CARGO_NET_OFFLINE=true
SEEDS="$PWD/tests/corpus/seeds.toml"
CHECKOUT="$PWD/tests/corpus/checkout.sh"
PAIRED="$PWD/bench/paired.py"
mkdir -p "$OUT"
summary="$OUT/summary.txt"
: > "$summary"

# commands_of RUN_JSON BY_HAND [PREK_CONFIG]: from a hephaestus JSON report,
# the exact commands its passed command steps ran (files included: a mypy
# step may be given a module's stub rather than the staged source) as a
# shell script run one after another, and, if asked, as prek `repo: local`
# hooks that each run one of those command lines once.
commands_of() {
  python3 - "$@" <<'PY'
import json, re, shlex, sys
run = json.load(open(sys.argv[1]))
lines = ["set -e"]
hooks = []
for s in run["steps"]:
    c = s.get("command")
    if s["status"] != "passed" or not c:
        continue
    argv = shlex.split(c["command"])
    argv[0] = c["program"]
    files = s["files"] if "<files>" in argv else []
    argv = [a for a in argv if a != "<files>"]
    lines.append(shlex.join(argv + files))
    hooks.append({
        "id": re.sub(r"[^a-z0-9]+", "-", s["name"]),
        "name": s["name"],
        "entry": shlex.join(argv + files),
        "language": "system",
        "pass_filenames": False,
        "always_run": True,
    })
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as fh:
        json.dump({"repos": [{"repo": "local", "hooks": hooks}]}, fh, indent=1)
print(f"{len(hooks)} command steps:", ", ".join(h["name"] for h in hooks))
PY
}

for p in "${projects[@]}"; do
  echo "== $p"
  repo="$OUT/$p"
  rm -rf "$repo"
  printed=$("$CHECKOUT" "$p" "$repo")
  cd "$repo"
  [ "$printed" = "$repo" ] || ln -s "$printed" .venv
  export CARGO_TARGET_DIR="$OUT/cargo-target-$p"
  git config user.email bench@example.com; git config user.name bench
  "$HEPH" init >/dev/null
  git add hephaestus.toml; git commit -qm hephaestus --no-verify
  # The clean change, staged.
  python3 - "$SEEDS" "$p" <<'PY'
import sys, tomllib
seeds = tomllib.load(open(sys.argv[1], "rb"))
change = next(c for c in seeds["partial"] if c["project"] == sys.argv[2])
def edit(e):
    text = open(e["file"]).read()
    assert text.count(e["old"]) == 1, e["file"]
    open(e["file"], "w").write(text.replace(e["old"], e["new"], 1))
if change["rc_staged"] == 0:
    for e in change["staged"]:
        edit(e)
else:
    f = change["staged"][0]["file"]
    mark = "//" if f.endswith(".rs") else "#"
    body = open(f).read()
    open(f, "w").write(f"{mark} A clean change.\n" + body)
PY
  git add -u
  # One run: warms every tool's cache and says what ran.
  "$HEPH" hook run pre-commit --format json > "$OUT/$p.json" || {
    echo "hephaestus fails on the clean change of $p:" >&2
    "$HEPH" hook run pre-commit >&2 || true
    exit 1
  }
  commands_of "$OUT/$p.json" "$OUT/$p-by-hand.sh" .pre-commit-config.yaml
  # prek wants its configuration committed; the staged change stays staged.
  git add .pre-commit-config.yaml
  git commit -qm prek --no-verify -- .pre-commit-config.yaml
  # The index is racy now: files written in the second it was (git and gix
  # compare whole seconds), so every status hashes them again. A refresh
  # in the same second leaves them racy; one a second later rewrites the
  # index clean, as a user's next `git status` would. (The index of a real
  # commit, written by `git add` after the edits, is rarely racy.)
  sleep 1; git status >/dev/null
  "$PREK" run >/dev/null 2>&1 || { echo "prek fails on the clean change of $p" >&2; "$PREK" run >&2; exit 1; }
  python3 "$PAIRED" --rounds "$RUNS" --json "$OUT/$p-paired.json" \
    "by hand=sh $OUT/$p-by-hand.sh" \
    "hephaestus=$HEPH hook run pre-commit" \
    "prek=$PREK run"
  # The floor: the same run with every tool the steps ran replaced by
  # `true` (through a copy of the venv whose tool entries point at it, or
  # a directory put first on PATH), so what is left is the hook manager's
  # own cost, without the tools' noise.
  floor="$OUT/$p-floor"
  rm -rf "$floor"; mkdir -p "$floor/bin"
  real_venv=""
  if [ -L .venv ]; then
    real_venv=$(readlink .venv)
    cp -as "$(readlink -f .venv)" "$floor/venv"
    rm .venv; ln -s "$floor/venv" .venv
  fi
  python3 - "$OUT/$p.json" "$repo" "$floor" <<'PY'
import json, os, sys
run, repo, floor = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
true = "/bin/true"
for s in run["steps"]:
    c = s.get("command")
    if s["status"] != "passed" or not c:
        continue
    program = c["program"]
    venv_bin = os.path.join(repo, ".venv", "bin") + "/"
    if program.startswith(venv_bin):
        target = os.path.join(floor, "venv", "bin", program[len(venv_bin):])
    else:
        target = os.path.join(floor, "bin", os.path.basename(program))
    if os.path.lexists(target):
        os.remove(target)
    os.symlink(true, target)
PY
  PATH="$floor/bin:$PATH" "$HEPH" hook run pre-commit --format json > "$floor/run.json"
  commands_of "$floor/run.json" "$floor/by-hand.sh" >/dev/null
  PATH="$floor/bin:$PATH" python3 "$PAIRED" --rounds "$((RUNS * 2))" --json "$OUT/$p-floor.json" \
    "by hand=sh $floor/by-hand.sh" \
    "hephaestus=$HEPH hook run pre-commit"
  if [ -n "$real_venv" ]; then rm .venv; ln -s "$real_venv" .venv; fi
  python3 - "$OUT/$p-paired.json" "$OUT/$p-floor.json" "$p" >> "$summary" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["summary"]
f = json.load(open(sys.argv[2]))["summary"]
hand, heph, prek = (r[k]["median_ms"] for k in ("by hand", "hephaestus", "prek"))
dh, dp = r["hephaestus"]["median_diff_ms"], r["prek"]["median_diff_ms"]
fh, fd = f["hephaestus"]["median_ms"], f["hephaestus"]["median_diff_ms"]
print(f"| {sys.argv[3]} | {hand:.1f} ms | {heph:.1f} ms | {prek:.1f} ms | {dh:+.1f} ms | {dp:+.1f} ms | {fh:.1f} ms | {fd:+.1f} ms |")
PY
  cd - >/dev/null
done
echo
echo "| project | by hand | hephaestus | prek | hephaestus overhead | prek overhead | hephaestus, tools as true | its overhead |"
echo "|---|---|---|---|---|---|---|---|"
cat "$summary"
