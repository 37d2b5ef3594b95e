#!/usr/bin/env bash
# Issue 13: the overhead of `hephaestus hook run pre-commit` over running
# the same tools by hand, and prek running them as local hooks, on a real
# project: click 8.5.1 from the corpus (run tests/corpus/fetch.sh first;
# prek comes from the bench venv of bench/hook-builtins.sh), one staged
# comment change to src/click/utils.py. Build the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
HEPH=${HEPH:-$PWD/target/release/hephaestus}
CHECKOUT=$PWD/tests/corpus/checkout.sh
REPO=${REPO:-$(mktemp -d)/click}
rm -rf "$REPO"
V=$("$CHECKOUT" click "$REPO")
cd "$REPO"
ln -s "$V" .venv
git config user.email b@example.com; git config user.name b
"$HEPH" init >/dev/null
cat > .pre-commit-config.yaml <<'Y'
repos:
- repo: local
  hooks:
  - {id: ruff-check, name: ruff check, entry: .venv/bin/ruff check --force-exclude --no-fix, language: system, types_or: [python, pyi]}
  - {id: ruff-format, name: ruff format, entry: .venv/bin/ruff format --force-exclude, language: system, types_or: [python, pyi]}
  - {id: mypy, name: mypy, entry: .venv/bin/mypy, language: system, pass_filenames: false, types_or: [python, pyi]}
Y
git add -A; git commit -qm cfg --no-verify
python3 - <<'P'
p = "src/click/utils.py"
s = open(p).read()
s = s.replace("    # Imported late to keep the import footprint small.\n", "    # Imported late: most callers never shorten a help text.\n", 1)
open(p, "w").write(s)
P
git add src/click/utils.py
.venv/bin/mypy >/dev/null 2>&1 || true   # warm mypy's cache
export PATH="$HOME/.cache/hephaestus-bench/venv/bin:$PATH"
hyperfine -N --warmup 2 --runs 10 \
  -n "by hand" "sh -c '.venv/bin/ruff check --force-exclude --no-fix src/click/utils.py && .venv/bin/ruff format --force-exclude src/click/utils.py && .venv/bin/mypy'" \
  -n hephaestus "$HEPH hook run pre-commit" \
  -n prek "prek run"
hyperfine -N --warmup 2 --runs 20 \
  -n "by hand, ruff only" "sh -c '.venv/bin/ruff check --force-exclude --no-fix src/click/utils.py && .venv/bin/ruff format --force-exclude src/click/utils.py'" \
  -n "hephaestus, SKIP=mypy" "env SKIP=mypy $HEPH hook run pre-commit" \
  -n "prek, SKIP=mypy" "env SKIP=mypy prek run"
