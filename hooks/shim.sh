#!/bin/sh
# hephaestus-managed-hook: this file was written by `hephaestus hook install`.
# Do not edit it: `hephaestus hook install` rewrites it and
# `hephaestus hook uninstall` removes it (restoring any previous hook).
# hephaestus-version: @VERSION@
# hephaestus-hook-type: @HOOK_TYPE@

# HEPHAESTUS=0 turns every hephaestus hook off for one command.
if [ "${HEPHAESTUS:-}" = "0" ]; then
    exit 0
fi

hook_type='@HOOK_TYPE@'
installed_bin=@HEPHAESTUS_BIN@

if [ -x "$installed_bin" ]; then
    heph="$installed_bin"
elif command -v hephaestus >/dev/null 2>&1; then
    heph=hephaestus
else
    echo "hephaestus: the $hook_type hook cannot run: hephaestus is neither at $installed_bin nor on PATH." >&2
    echo "hephaestus: install it again (cargo install --locked hephaestus-hooks, or cargo binstall hephaestus-hooks), or skip the hook once with HEPHAESTUS=0." >&2
    exit 1
fi

# A hook that was here before hephaestus runs first; pre-push and
# post-rewrite read refs on stdin, so both hooks get the same lines.
legacy="$0.legacy"
if [ -x "$legacy" ]; then
    case "$hook_type" in
    pre-push | post-rewrite)
        stdin_file=$(mktemp "${TMPDIR:-/tmp}/hephaestus-stdin.XXXXXX") || exit 1
        trap 'rm -f "$stdin_file"' EXIT
        cat >"$stdin_file"
        "$legacy" "$@" <"$stdin_file" || exit $?
        "$heph" hook run "$hook_type" -- "$@" <"$stdin_file"
        exit $?
        ;;
    *)
        "$legacy" "$@" || exit $?
        ;;
    esac
fi

exec "$heph" hook run "$hook_type" -- "$@"
