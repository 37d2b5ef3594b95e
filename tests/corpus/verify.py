#!/usr/bin/env python3
"""Replay the corpus by hand, as a new user would, and check the records.

    python3 tests/corpus/verify.py [--cache DIR] [--only NAME]... [--what KINDS]

For every project of tests/corpus/projects.toml (fetched by fetch.sh into
CACHE_DIR, default target/corpus) this makes fresh git checkouts with
checkout.sh and runs the project's own commands with its venv activated
(VIRTUAL_ENV and PATH; Rust: CARGO_NET_OFFLINE, one CARGO_TARGET_DIR per
crate under the cache), then compares exit codes with the records:

  baseline  [project.baseline] of projects.toml, on the untouched checkout
  seeds     [[seed]] of seeds.toml: the command exits 0 on the untouched
            checkout, then the seeded exit code with the defect; also
            whether the command rewrote the seeded file
  partials  [[partial]]: the command on the staged content alone, then on
            the work tree with the unstaged edits; git must show the files
            as partially staged
  probes    [[probe]]: what a run that ignores the project's setup gets

KINDS is a comma-separated subset of baseline,seeds,partials,probes (all by
default). Prints one line per run and a summary; exits 1 on any mismatch,
2 on bad input. This is a development tool, not part of `cargo test`: the
hook engine's tests (issue 13) turn these records into assertions.
At the end, work/<name> is made again for each Python project, so the
venvs point back at it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KINDS = ("baseline", "seeds", "partials", "probes")
TIMEOUT = 1800


class BadRecord(Exception):
    """A record of projects.toml or seeds.toml that does not fit the archive."""


class Corpus:
    def __init__(self, cache: Path) -> None:
        self.cache = cache
        with open(HERE / "projects.toml", "rb") as f:
            self.projects = {p["name"]: p for p in tomllib.load(f)["project"]}
        with open(HERE / "seeds.toml", "rb") as f:
            self.seeds = tomllib.load(f)
        self.scratch = Path(tempfile.mkdtemp(prefix="verify-", dir=cache))
        self.count = 0
        self.failures: list[str] = []

    def checkout(self, name: str) -> Path:
        self.count += 1
        dest = self.scratch / f"{name}-{self.count}"
        subprocess.run(
            [str(HERE / "checkout.sh"), "--cache", str(self.cache), name, str(dest)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return dest

    def env(self, name: str, activate: bool = True) -> dict[str, str]:
        env = dict(os.environ)
        project = self.projects[name]
        if project["kind"] == "python":
            venv = self.cache / "venvs" / name
            env["CORPUS_VENV"] = str(venv)
            env.pop("VIRTUAL_ENV", None)
            if activate:
                env["VIRTUAL_ENV"] = str(venv)
                env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        else:
            env["CARGO_NET_OFFLINE"] = "true"
            env["CARGO_TARGET_DIR"] = str(self.cache / "cargo-target" / name)
        return env

    def run(
        self, name: str, cwd: Path, command: str, activate: bool = True
    ) -> tuple[int, float, str]:
        start = time.monotonic()
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=self.env(name, activate),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            check=False,
        )
        output = proc.stdout.decode("utf-8", "replace")
        return proc.returncode, time.monotonic() - start, output

    def report(
        self,
        name: str,
        what: str,
        command: str,
        want: int,
        got: int,
        seconds: float,
        extra: str = "",
        output: str = "",
    ) -> None:
        ok = want == got and not extra
        status = "ok" if ok else "MISMATCH"
        line = f"{status:8} {name:15} {what:18} want={want:<3} got={got:<3} {seconds:6.1f}s"
        print(f"{line}  {command}{'  ' + extra if extra else ''}", flush=True)
        if not ok:
            self.failures.append(f"{name} {what}: {command}")
            tail = "\n".join(output.rstrip().splitlines()[-15:])
            print("         | " + tail.replace("\n", "\n         | "), flush=True)


def edit(root: Path, change: dict[str, str]) -> Path:
    path = root / change["file"]
    text = path.read_text(encoding="utf-8")
    found = text.count(change["old"])
    if found != 1:
        where = f"{found} times in {change['file']}"
        raise BadRecord(f"seeds.toml: an edit's `old` occurs {where}, not once: {change['old']!r}")
    path.write_text(text.replace(change["old"], change["new"]), encoding="utf-8")
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, stdout=subprocess.PIPE, text=True
    ).stdout


def baseline(c: Corpus, name: str) -> None:
    project = c.projects[name]
    expected = project.get("baseline", {})
    checkout = c.checkout(name)
    for key, command in project["commands"].items():
        if key not in expected:
            raise BadRecord(f"projects.toml: {name} has no baseline exit code for command {key!r}")
        got, seconds, output = c.run(name, checkout, command)
        c.report(name, f"baseline:{key}", command, expected[key], got, seconds, output=output)


def seeds(c: Corpus, name: str) -> None:
    for seed in (s for s in c.seeds.get("seed", []) if s["project"] == name):
        checkout = c.checkout(name)
        got, seconds, output = c.run(name, checkout, seed["run"])
        c.report(name, f"control:{seed['kind']}", seed["run"], 0, got, seconds, output=output)
        paths = [edit(checkout, change) for change in seed["edits"]]
        before = [digest(p) for p in paths]
        got, seconds, output = c.run(name, checkout, seed["run"])
        modified = before != [digest(p) for p in paths]
        extra = ""
        if modified != seed["modifies"]:
            did = "rewritten" if modified else "left alone"
            extra = f"(file {did}, want modifies={seed['modifies']})"
        c.report(name, f"seed:{seed['kind']}", seed["run"], seed["rc"], got, seconds, extra, output)


def partials(c: Corpus, name: str) -> None:
    for partial in (p for p in c.seeds.get("partial", []) if p["project"] == name):
        checkout = c.checkout(name)
        staged = sorted(
            {str(edit(checkout, change).relative_to(checkout)) for change in partial["staged"]}
        )
        git(checkout, "add", "--", *staged)
        got, seconds, output = c.run(name, checkout, partial["run"])
        c.report(
            name,
            "partial:staged",
            partial["run"],
            partial["rc_staged"],
            got,
            seconds,
            output=output,
        )
        # tools may leave caches; the unstaged edits go on the staged content
        for change in partial["unstaged"]:
            edit(checkout, change)
        status = git(checkout, "status", "--porcelain", "--untracked-files=no")
        index_only = [line for line in status.splitlines() if line[:2] == "M "]
        both = [line for line in status.splitlines() if line[:2] == "MM"]
        extra = ""
        if not both and not (index_only and any(line[:2] == " M" for line in status.splitlines())):
            extra = f"(git status shows no partial staging: {status.strip()!r})"
        got, seconds, output = c.run(name, checkout, partial["run"])
        c.report(
            name,
            "partial:worktree",
            partial["run"],
            partial["rc_worktree"],
            got,
            seconds,
            extra,
            output,
        )


def probes(c: Corpus, name: str) -> None:
    probe_list = [p for p in c.seeds.get("probe", []) if p["project"] == name]
    if not probe_list:
        return
    checkout = c.checkout(name)
    for probe in probe_list:
        got, seconds, output = c.run(name, checkout, probe["run"], probe.get("activate", True))
        c.report(name, "probe", probe["run"], probe["rc"], got, seconds, output=output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "target" / "corpus")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--what", default=",".join(KINDS), metavar="KINDS")
    args = parser.parse_args()
    cache = args.cache.resolve()
    if not (cache / "src").is_dir():
        print(
            f"verify.py: {cache} holds no corpus; run tests/corpus/fetch.sh {cache}",
            file=sys.stderr,
        )
        return 2
    kinds = [k for k in args.what.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        print(
            f"verify.py: --what: unknown {', '.join(unknown)} (choose from {', '.join(KINDS)})",
            file=sys.stderr,
        )
        return 2
    c = Corpus(cache)
    names = args.only or list(c.projects)
    missing = [n for n in names if n not in c.projects]
    if missing:
        print(
            f"verify.py: --only: no project {', '.join(missing)} in projects.toml", file=sys.stderr
        )
        return 2
    started = time.monotonic()
    steps = {"baseline": baseline, "seeds": seeds, "partials": partials, "probes": probes}
    try:
        for name in names:
            for kind in kinds:
                steps[kind](c, name)
    except BadRecord as e:
        print(f"verify.py: {e}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(c.scratch, ignore_errors=True)
        for name in names:
            if c.projects[name]["kind"] == "python":
                work = cache / "work" / name
                shutil.rmtree(work, ignore_errors=True)
                subprocess.run(
                    [str(HERE / "checkout.sh"), "--cache", str(cache), name, str(work)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
    print(f"{len(c.failures)} mismatches in {time.monotonic() - started:.0f} s")
    for failure in c.failures:
        print(f"  {failure}")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
