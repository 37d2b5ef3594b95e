#!/usr/bin/env python3
"""Time commands in interleaved rounds and compare each with the first.

Each round runs every command once, in an order that rotates from round to
round, so a slow spell of the machine (another process, the page cache
dropped) lands on all of them alike instead of on whichever ran then.
Prints, per command, the median wall time and the median of its paired
differences with the first command (the same round's), with the
interquartile range of those differences; writes every time as JSON.

Usage: paired.py --rounds N [--warmup N] --json FILE NAME=COMMAND...
  COMMAND is split like a shell would (no shell runs it); its output is
  discarded and it must exit 0.
"""

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time


def run(argv):
    start = time.perf_counter_ns()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if done.returncode != 0:
        sys.exit(f"{shlex.join(argv)} exited with {done.returncode}")
    return elapsed


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", required=True)
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    named = []
    for spec in args.commands:
        name, _, command = spec.partition("=")
        named.append((name, shlex.split(command)))
    times = {name: [] for name, _ in named}
    for _ in range(args.warmup):
        for _, argv in named:
            run(argv)
    for r in range(args.rounds):
        order = named[r % len(named):] + named[: r % len(named)]
        for name, argv in order:
            times[name].append(run(argv))
    base = named[0][0]
    print(f"{'command':<14}{'median':>10}{'- ' + base:>16}{'IQR of the difference':>26}")
    summary = {}
    for name, _ in named:
        diffs = [t - b for t, b in zip(times[name], times[base])]
        lo, hi = quartiles(diffs)
        med, dmed = statistics.median(times[name]), statistics.median(diffs)
        summary[name] = {"median_ms": med, "median_diff_ms": dmed, "diff_iqr_ms": [lo, hi]}
        print(f"{name:<14}{med:>8.1f} ms{dmed:>+13.1f} ms{lo:>+14.1f} .. {hi:+.1f} ms")
    with open(args.json, "w") as fh:
        json.dump({"rounds": args.rounds, "times_ms": times, "summary": summary}, fh, indent=1)


if __name__ == "__main__":
    main()
