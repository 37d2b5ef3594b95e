#!/usr/bin/env bash
# Fetch the corpus of real projects listed in tests/corpus/projects.toml.
#
#   tests/corpus/fetch.sh [--lock] [--only NAME]... [CACHE_DIR]
#
# CACHE_DIR defaults to target/corpus at the repository root. For each
# project it downloads the released archive (sdist from PyPI, .crate from
# crates.io), checks its SHA-256, unpacks it under src/, and
#   - Python: builds venvs/<name> with uv from locks/<name>.txt (the tool
#     versions the project pins plus what its test suite needs), then makes
#     work/<name>, a git repository of the unpacked sdist, and installs it
#     editable into the venv (tests/corpus/checkout.sh does the same for
#     any other directory);
#   - Rust: `cargo fetch` (--locked when the crate ships a Cargo.lock; run
#     in a copy, so src/ stays as the archive has it), so the crate builds
#     offline, and makes work/<name> the same way.
# It also extracts the .pre-commit-config.yaml files listed as
# [[pre_commit_config]] into pre-commit-configs/<name>.yaml.
#
# Idempotent: a verified archive is not downloaded again, a venv whose lock,
# interpreter and uv are unchanged is kept, and so is its work checkout.
# After a run nothing needs the network: checkout.sh installs offline.
#
# --lock  re-resolves locks/<name>.txt from each project's `requirements`,
#         constrained by the pins the project ships (`constraints`), as of
#         the project's `as_of` date (uv pip compile --exclude-newer);
#         commit the result. Needs the network.
# --only  limits the run to the named projects (repeatable).
#
# Environment: PYTHON (default python3) picks the interpreter for the venvs;
# UV_CACHE_DIR (default CACHE_DIR/uv-cache) is uv's download cache.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
manifest="$here/projects.toml"
locks="$here/locks"

lock=0
only=()
cache=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lock) lock=1 ;;
    --only) [ $# -ge 2 ] || { echo "fetch.sh: --only needs a project name" >&2; exit 2; }
            only+=("$2"); shift ;;
    --only=*) only+=("${1#--only=}") ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "fetch.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$cache" ] || { echo "fetch.sh: one CACHE_DIR only (got $cache and $1)" >&2; exit 2; }
       cache="$1" ;;
  esac
  shift
done
cache=${cache:-$root/target/corpus}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

for tool in curl tar git sha256sum; do
  command -v "$tool" >/dev/null || { echo "fetch.sh: $tool is required and was not found on PATH" >&2; exit 1; }
done
python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "fetch.sh: $python not found (set PYTHON to a Python >= 3.11)" >&2; exit 1; }
python=$("$python" -c 'import sys; print(sys.executable)')

# manifest QUERY...: read projects.toml (Python's tomllib, 3.11+).
#   list                  -> "project|config <TAB> kind <TAB> name <TAB> url <TAB> sha256 <TAB> top_dir|path"
#   get NAME KEY          -> the value (lists one item a line)
#   top KEY               -> a top-level value
manifest() {
  "$python" - "$manifest" "$@" <<'PY'
import sys, tomllib
path, query, *args = sys.argv[1:]
with open(path, "rb") as f:
    doc = tomllib.load(f)
if query == "list":
    for p in doc.get("project", []):
        print("\t".join(["project", p["kind"], p["name"], p["url"], p["sha256"], p["top_dir"]]))
    for c in doc.get("pre_commit_config", []):
        print("\t".join(["config", "python", c["name"], c["url"], c["sha256"], c["path"]]))
elif query == "get":
    name, key = args
    for p in doc.get("project", []):
        if p["name"] == name:
            value = p.get(key, "")
            print("\n".join(value) if isinstance(value, list) else value)
            break
    else:
        sys.exit(f"fetch.sh: no project {name!r} in {path}")
elif query == "top":
    print(doc[args[0]])
PY
}

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "fetch.sh: $python is $("$python" --version 2>&1); the corpus needs Python >= $(manifest top python 2>/dev/null || echo 3.11)" >&2
  exit 1
}

for n in ${only[@]+"${only[@]}"}; do
  manifest list | cut -f3 | grep -qxF -- "$n" ||
    { echo "fetch.sh: --only $n: no such project in $manifest" >&2; exit 2; }
done

started=$SECONDS
step() { printf '== %-40s (%ds)\n' "$*" $((SECONDS - started)); }

wanted() {
  [ ${#only[@]} -eq 0 ] && return 0
  local n
  for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

has_commit() { [ -d "$1/.git" ] && git -C "$1" rev-parse -q --verify HEAD >/dev/null 2>&1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_archive URL SHA256 -> path of the verified archive in archives/
fetch_archive() {
  local url=$1 sha=$2 file
  file="$cache/archives/$(basename "$url")"
  mkdir -p "$cache/archives"
  if [ -f "$file" ] && [ "$(sha256_of "$file")" = "$sha" ]; then
    echo "$file"; return
  fi
  curl -fsSL --retry 3 --retry-delay 2 -o "$file.part" "$url" || {
    echo "fetch.sh: download failed: $url" >&2; rm -f "$file.part"; return 1; }
  local got
  got=$(sha256_of "$file.part")
  if [ "$got" != "$sha" ]; then
    echo "fetch.sh: SHA-256 mismatch for $url: expected $sha, got $got (left in $file.part)" >&2
    return 1
  fi
  mv "$file.part" "$file"
  echo "$file"
}

# unpack NAME ARCHIVE SHA256 TOP_DIR -> src/NAME holds the archive's TOP_DIR
unpack() {
  local name=$1 archive=$2 sha=$3 top=$4 dest="$cache/src/$1"
  if [ -d "$dest" ] && [ "$(cat "$cache/src/.$name.sha256" 2>/dev/null)" = "$sha" ]; then
    return
  fi
  local tmp
  tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
  tar --no-same-owner -xzf "$archive" -C "$tmp"
  [ -d "$tmp/$top" ] || { echo "fetch.sh: $archive has no top-level directory $top" >&2; rm -rf "$tmp"; return 1; }
  # a new archive: the old checkout in work/ is stale too
  rm -rf "$dest" "$cache/work/$name"
  mkdir -p "$cache/src"
  mv "$tmp/$top" "$dest"
  rm -rf "$tmp"
  echo "$sha" >"$cache/src/.$name.sha256"
}

export UV_CACHE_DIR=${UV_CACHE_DIR:-$cache/uv-cache}
export UV_NO_PROGRESS=1
unset VIRTUAL_ENV CONDA_PREFIX UV_PROJECT_ENVIRONMENT
uv_version=$(manifest top uv)
uv="$cache/tools/bin/uv"

bootstrap_uv() {
  if [ -x "$uv" ] && [ "$("$uv" --version 2>/dev/null | cut -d' ' -f2)" = "$uv_version" ]; then
    return
  fi
  step "uv $uv_version into $cache/tools"
  rm -rf "$cache/tools"
  "$python" -m venv "$cache/tools"
  "$cache/tools/bin/pip" install -q --disable-pip-version-check "uv==$uv_version"
}

# relock NAME: resolve locks/NAME.txt from the manifest (network).
relock() {
  local name=$1 src="$cache/src/$1" tmp args=() c
  tmp=$(mktemp -d)
  manifest get "$name" requirements >"$tmp/requirements.in"
  while IFS= read -r c; do
    [ -n "$c" ] || continue
    case "$c" in
      uv-export:*)
        local groups=() g
        IFS=, read -r -a groups <<<"${c#uv-export:}"
        local gargs=()
        for g in "${groups[@]}"; do gargs+=(--group "$g"); done
        "$uv" export --quiet --frozen --no-hashes --no-header --no-emit-project \
          --no-default-groups "${gargs[@]}" --project "$src" -o "$tmp/uv-export.txt"
        args+=(-c "$tmp/uv-export.txt") ;;
      *) [ -f "$src/$c" ] || { echo "fetch.sh: $name: constraint file $c is not in the sdist" >&2; return 1; }
         args+=(-c "$src/$c") ;;
    esac
  done < <(manifest get "$name" constraints)
  mkdir -p "$locks"
  "$uv" pip compile --quiet --python "$python" --no-annotate \
    --exclude-newer "$(manifest get "$name" as_of)" \
    --custom-compile-command "tests/corpus/fetch.sh --lock --only $name" \
    "${args[@]}" "$tmp/requirements.in" -o "$locks/$name.txt"
  # the header names the temp file it was compiled from; keep the lock stable
  sed -i "s|$tmp/||g" "$locks/$name.txt"
  rm -rf "$tmp"
}

# build_venv NAME: venvs/NAME from locks/NAME.txt, unless already current.
# Prints "built" when it (re)built the venv.
build_venv() {
  local name=$1 venv="$cache/venvs/$1" lockfile="$locks/$1.txt" stamp
  [ -f "$lockfile" ] || { echo "fetch.sh: $lockfile is missing; run tests/corpus/fetch.sh --lock --only $name" >&2; return 1; }
  stamp="$(sha256_of "$lockfile") $("$python" --version 2>&1) uv-$uv_version"
  if [ -x "$venv/bin/python" ] && [ "$(cat "$cache/venvs/.$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  rm -rf "$venv" "$cache/venvs/.$name.stamp"
  mkdir -p "$cache/venvs"
  "$uv" venv --quiet --python "$python" "$venv"
  "$uv" pip install --quiet --python "$venv/bin/python" -r "$lockfile"
  echo "$stamp" >"$cache/venvs/.$name.stamp"
  echo built
}

if [ "$lock" = 1 ]; then
  bootstrap_uv
fi

step "archives into $cache"
while IFS=$'\t' read -r what kind name url sha top; do
  wanted "$name" || continue
  archive=$(fetch_archive "$url" "$sha")
  if [ "$what" = config ]; then
    mkdir -p "$cache/pre-commit-configs"
    tar -xzOf "$archive" "$top" >"$cache/pre-commit-configs/$name.yaml.part"
    mv "$cache/pre-commit-configs/$name.yaml.part" "$cache/pre-commit-configs/$name.yaml"
    continue
  fi
  unpack "$name" "$archive" "$sha" "$top"
  if [ "$(manifest get "$name" pre_commit_config)" = True ]; then
    mkdir -p "$cache/pre-commit-configs"
    cp "$cache/src/$name/.pre-commit-config.yaml" "$cache/pre-commit-configs/$name.yaml"
  fi
  echo "$kind $name"
done < <(manifest list) >"$cache/.projects"

if [ "$lock" = 1 ]; then
  while read -r kind name; do
    [ "$kind" = python ] || continue
    step "lock $name"
    relock "$name"
  done <"$cache/.projects"
  step "locks written to tests/corpus/locks; review and commit them"
fi

bootstrap_uv
while read -r kind name; do
  case "$kind" in
    python)
      step "venv $name"
      built=$(build_venv "$name")
      if [ -n "$built" ] || ! has_commit "$cache/work/$name"; then
        step "work checkout $name"
        rm -rf "$cache/work/$name"
        "$here/checkout.sh" --cache "$cache" "$name" "$cache/work/$name" >/dev/null
      fi ;;
    rust)
      step "cargo fetch $name"
      # in a copy: cargo writes Cargo.lock when the crate ships none, and
      # src/ stays as the archive has it
      tmp=$(mktemp -d)
      cp -R "$cache/src/$name" "$tmp/$name"
      locked=()
      [ -f "$tmp/$name/Cargo.lock" ] && locked=(--locked)
      cargo fetch "${locked[@]}" --quiet --manifest-path "$tmp/$name/Cargo.toml"
      rm -rf "$tmp"
      if ! has_commit "$cache/work/$name"; then
        step "work checkout $name"
        rm -rf "$cache/work/$name"
        "$here/checkout.sh" --cache "$cache" "$name" "$cache/work/$name" >/dev/null
      fi ;;
  esac
done <"$cache/.projects"

step "done"
echo "corpus ready in $cache ($(du -sh "$cache" | cut -f1); $((SECONDS - started)) s)"
