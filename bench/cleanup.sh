#!/usr/bin/env bash
# Cleanup preview speed and memory: `hephaestus cleanup --dry-run --deep-clean`
# against `find` with the same name patterns, on one generated tree.
#
# Usage: bench/cleanup.sh [--hephaestus PATH] [--entries N] [--runs N] [--out DIR]
#
# The tree has N entries (default 500,000): 100 top directories of ~100
# subdirectories, each holding ~45 ordinary files, and about 5% junk spread
# through it (`.DS_Store`, `._*`, `*.pyc`, `__pycache__/` with files,
# `build/` and `dist/` with files, `*.egg-info/`, `node_modules/` with
# files, `.pytest_cache/`, `.coverage`, `htmlcov/`). `find` gets the same names, prunes `.git`,
# `site-packages` and every match, and prints the matches, just as the walk
# does (hephaestus also lstats and sizes each match; find does not).
# Timing is hyperfine (same run, both commands, output to /dev/null); memory
# is `/usr/bin/time -v` maximum resident set size.
set -euo pipefail

HEPH="${HEPH:-$(pwd)/target/release/hephaestus}"
ENTRIES=500000 RUNS=10
OUT="${OUT:-$(mktemp -d)}"
while [ $# -gt 0 ]; do
  case "$1" in
    --hephaestus) HEPH="$2"; shift 2;;
    --entries) ENTRIES="$2"; shift 2;;
    --runs) RUNS="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
[ -x "$HEPH" ] || { echo "no hephaestus binary at $HEPH (cargo build --release, or --hephaestus PATH)" >&2; exit 2; }
HEPH="$(cd "$(dirname "$HEPH")" && pwd)/$(basename "$HEPH")"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
mkdir -p "$OUT"
TREE="$OUT/tree"

if [ ! -f "$TREE/.generated-$ENTRIES" ]; then
  rm -rf "$TREE"
  python3 - "$TREE" "$ENTRIES" <<'PY'
import os, sys
root, total = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
made = 0
junk = 0
def touch(p, data=b""):
    global made
    with open(p, "wb") as f:
        f.write(data)
    made += 1
def mkdir(p):
    global made
    os.mkdir(p)
    made += 1
dirs = max(1, total // 50)
per_top = 100
i = 0
while made < total:
    top = os.path.join(root, f"pkg{i // per_top:04d}")
    if i % per_top == 0:
        mkdir(top)
    d = os.path.join(top, f"mod{i:06d}")
    mkdir(d)
    for f in range(44):
        touch(os.path.join(d, f"file{f:02d}.py"), b"x = 1\n")
    # About 5% junk, by entry count, in a fixed rotation.
    k = i % 20
    if k in (0, 6, 10, 16):
        mkdir(os.path.join(d, "__pycache__")); junk += 1
        for f in range(3):
            touch(os.path.join(d, "__pycache__", f"file{f:02d}.cpython-311.pyc"), b"\0" * 64); junk += 1
    elif k in (1, 7):
        touch(os.path.join(d, ".DS_Store"), b"\0" * 32); junk += 1
        touch(os.path.join(d, "._file00.py"), b"\0" * 32); junk += 1
    elif k in (2, 8, 12):
        b = os.path.join(d, "build"); mkdir(b); junk += 1
        for f in range(3):
            touch(os.path.join(b, f"out{f}.o"), b"\0" * 128); junk += 1
    elif k == 3:
        touch(os.path.join(d, "stale.pyc"), b"\0" * 16); junk += 1
        e = os.path.join(d, "pkg.egg-info"); mkdir(e); junk += 1
        touch(os.path.join(e, "PKG-INFO")); junk += 1
    elif k == 4:
        n = os.path.join(d, "node_modules"); mkdir(n); junk += 1
        mkdir(os.path.join(n, "dep")); junk += 1
        for f in range(2):
            touch(os.path.join(n, "dep", f"i{f}.js")); junk += 1
    elif k == 5:
        p = os.path.join(d, ".pytest_cache"); mkdir(p); junk += 1
        touch(os.path.join(p, "README.md")); junk += 1
        dd = os.path.join(d, "dist"); mkdir(dd); junk += 1
    elif k == 9:
        touch(os.path.join(d, ".coverage"), b"\0" * 16); junk += 1
        h = os.path.join(d, "htmlcov"); mkdir(h); junk += 1
        for f in range(2):
            touch(os.path.join(h, f"p{f}.html")); junk += 1
    i += 1
open(os.path.join(root, f".generated-{total}"), "w").close()
print(f"generated {made} entries, {junk} junk ({100 * junk / made:.1f}%) in {root}", file=sys.stderr)
PY
fi

cd "$TREE"
FIND=(find . '(' -name .git -o -name site-packages -o -name dist-packages -o -name .hephaestus ')' -prune -o
  '(' -name .DS_Store -o -name '._?*' -o -name "$(printf 'Icon\r')" -o -name .apdisk -o -name .AppleDouble
  -o -name .AppleDesktop -o -name .AppleDB -o -name __MACOSX -o -name .DocumentRevisions-V100
  -o -name .Spotlight-V100 -o -name .Trashes -o -name .fseventsd -o -name .TemporaryItems
  -o -name __pycache__ -o -name '*.pyc' -o -name '*.pyo'
  -o -name build -o -name dist -o -name '?*.egg-info' -o -name .pytest_cache -o -name .mypy_cache
  -o -name .ruff_cache -o -name .tox -o -name .coverage -o -name coverage.xml -o -name htmlcov
  -o -name .ipynb_checkpoints -o -name target -o -name .turbo -o -name .parcel-cache -o -name .eslintcache
  -o -name node_modules ')' -print -prune)
HEPHCMD=("$HEPH" cleanup --dry-run --deep-clean --yes)

echo "matches: find $("${FIND[@]}" | wc -l), hephaestus $("${HEPHCMD[@]}" --format json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')"
quote() { local out="" a; for a in "$@"; do out+="$(printf '%q' "$a") "; done; printf '%s' "$out"; }
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$OUT/cleanup.json" \
  -n find "$(quote "${FIND[@]}")" \
  -n "hephaestus table" "$(quote "${HEPHCMD[@]}")" \
  -n "hephaestus json" "$(quote "${HEPHCMD[@]}" --format json)"
for name in find hephaestus; do
  if [ "$name" = find ]; then cmd=("${FIND[@]}"); else cmd=("${HEPHCMD[@]}"); fi
  rss=$(/usr/bin/time -v "${cmd[@]}" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
  echo "max RSS $name: ${rss} KiB ($((rss / 1024)) MiB)"
done
echo "results: $OUT/cleanup.json"
