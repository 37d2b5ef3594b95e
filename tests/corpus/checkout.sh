#!/usr/bin/env bash
# Make a git repository of one corpus project, as a new user would have it.
#
#   tests/corpus/checkout.sh [--cache CACHE_DIR] NAME DEST
#
# Copies the unpacked archive (CACHE_DIR/src/NAME, made by fetch.sh) to DEST,
# which must not exist yet, and for a Python project installs DEST editable
# into CACHE_DIR/venvs/NAME, offline. Then `git init`, `git add -A` and one
# commit ("sdist NAME VERSION") with a fixed author, committer and date, so
# the commit id is the same on every machine. The usual build and cache
# junk (*.egg-info, __pycache__, .pytest_cache, .mypy_cache, .ruff_cache,
# .coverage, target/, ...) goes to .git/info/exclude, as a project's own
# .gitignore would have it (most sdists leave that file out); no file of the
# project is changed. After it, `git status --porcelain` is empty.
#
# A venv serves one checkout at a time: the editable install points the
# venv at DEST, so the last checkout.sh of NAME wins. Prints the venv path
# (Python) or DEST (Rust) on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=$root/target/corpus
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cache) [ $# -ge 2 ] || { echo "checkout.sh: --cache needs a directory" >&2; exit 2; }
             cache=$2; shift ;;
    --cache=*) cache=${1#--cache=} ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "checkout.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) args+=("$1") ;;
  esac
  shift
done
[ ${#args[@]} -eq 2 ] || { echo "usage: checkout.sh [--cache CACHE_DIR] NAME DEST" >&2; exit 2; }
name=${args[0]}
dest=${args[1]}
src="$cache/src/$name"
[ -d "$src" ] || { echo "checkout.sh: $src does not exist; run tests/corpus/fetch.sh first" >&2; exit 1; }

[ ! -e "$dest" ] || { echo "checkout.sh: $dest already exists; give a new path" >&2; exit 1; }

mkdir -p "$(dirname "$dest")"
# Fresh modification times, as `git clone` gives: with the archive's old
# ones, cargo (whose fingerprints of a path crate do not include its
# location) takes a build of an earlier checkout sharing CARGO_TARGET_DIR
# for up to date, and runs stale code.
cp -R --preserve=mode,links "$src" "$dest"
dest=$(cd "$dest" && pwd)

# Install before `git init`: setuptools-scm and hatch-vcs then take the
# version from PKG-INFO, as for any sdist, and nothing the build writes can
# make the fresh repository dirty. GIT_CEILING_DIRECTORIES keeps them from
# finding a repository above DEST.
out=$dest
if [ -d "$cache/venvs/$name" ]; then
  GIT_CEILING_DIRECTORIES=$(dirname "$dest") \
  UV_CACHE_DIR=${UV_CACHE_DIR:-$cache/uv-cache} UV_NO_PROGRESS=1 \
    "$cache/tools/bin/uv" pip install --quiet --offline --no-deps --no-build-isolation \
    --python "$cache/venvs/$name/bin/python" -e "$dest"
  out="$cache/venvs/$name"
fi

git_() {
  GIT_AUTHOR_NAME=Corpus GIT_AUTHOR_EMAIL=corpus@hephaestus.invalid \
  GIT_COMMITTER_NAME=Corpus GIT_COMMITTER_EMAIL=corpus@hephaestus.invalid \
  GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
    git -C "$dest" -c core.autocrlf=false -c commit.gpgsign=false -c core.hooksPath=/dev/null "$@"
}
git_ -c init.defaultBranch=main init -q
cat >>"$dest/.git/info/exclude" <<'EOF'
# corpus checkout: what the project's own .gitignore would ignore
*.egg-info/
__pycache__/
*.py[cod]
.pytest_cache/
.mypy_cache/
.ruff_cache/
.hypothesis/
.coverage
.coverage.*
coverage.xml
htmlcov/
junit-results.xml
build/
dist/
/target/
/.venv
EOF

if [ -f "$dest/PKG-INFO" ]; then
  version=$(sed -n 's/^Version: //p' "$dest/PKG-INFO" | head -1)
else
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$dest/Cargo.toml" | head -1)
fi
git_ add -A
git_ commit -q -m "sdist $name $version"
if [ -n "$(git_ status --porcelain)" ]; then
  echo "checkout.sh: $dest is not clean after the commit:" >&2
  git_ status --short >&2
  exit 1
fi
echo "$out"
