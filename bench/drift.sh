#!/usr/bin/env bash
# `hephaestus drift` on a real venv with five tools (ruff, mypy, black,
# pytest, isort) and a library (requests), pip-installed from PyPI once
# into OUT. Two projects share the venv:
#   pyproject/  the tools and requests in a `dev` extra, sphinx in `docs`
#   configured/ the five tools in [drift.tools]
# Each is timed with hyperfine for every binary given (`--before PATH` adds
# an older build to compare with; failures are ignored: the older build
# reports the docs extra as Missing and exits 1).
#
# Usage: bench/drift.sh [--hephaestus PATH] [--before PATH] [--runs N] [--out DIR]
set -euo pipefail

HEPH="${HEPH:-$(pwd)/target/release/hephaestus}"
BEFORE="" RUNS=30
OUT="${OUT:-$(mktemp -d)}"
while [ $# -gt 0 ]; do
  case "$1" in
    --hephaestus) HEPH="$2"; shift 2;;
    --before) BEFORE="$2"; shift 2;;
    --runs) RUNS="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    *) echo "unknown argument: $1" >&2; exit 2;;
  esac
done
[ -x "$HEPH" ] || { echo "no hephaestus binary at $HEPH (cargo build --release, or --hephaestus PATH)" >&2; exit 2; }
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

venv="$OUT/venv"
if [ ! -x "$venv/bin/isort" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check ruff mypy black pytest isort requests
fi
"$venv/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -E '^(ruff|mypy|black|pytest|isort|requests) '

make_project() {
  local dir="$OUT/$1"
  rm -rf "$dir" && mkdir -p "$dir" && git -C "$dir" init -q
  ln -s "$venv" "$dir/.venv"
  cat > "$dir/$2"
}
make_project pyproject pyproject.toml <<'EOF'
[project]
name = "bench"
version = "0.1.0"
dependencies = ["requests>=2"]

[project.optional-dependencies]
dev = ["ruff>=0.14", "mypy>=1.18", "black>=25", "pytest>=8", "isort>=5", "requests>=2"]
docs = ["sphinx>=7"]
EOF
make_project configured hephaestus.toml <<'EOF'
[drift.tools]
ruff = ">=0.14"
mypy = ">=1.18"
black = ">=25"
pytest = ">=8"
isort = ">=5"
EOF

for project in pyproject configured; do
  cmds=("$HEPH -C $OUT/$project drift")
  names=("after")
  if [ -n "$BEFORE" ]; then
    cmds=("$BEFORE -C $OUT/$project drift" "${cmds[@]}")
    names=("before" "after")
  fi
  args=()
  for i in "${!cmds[@]}"; do args+=(-n "${names[$i]} ($project)" "${cmds[$i]}"); done
  hyperfine -N -i --warmup 3 --runs "$RUNS" --export-markdown "$OUT/$project.md" "${args[@]}"
done
cat "$OUT"/pyproject.md "$OUT"/configured.md
