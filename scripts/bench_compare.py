#!/usr/bin/env python3
"""Compare two cancuoc binaries on `bench intake` or `bench import`, run alternately.

Usage: scripts/bench_compare.py OLD_BINARY NEW_BINARY intake|import [--pairs N]
                                [--postgres URL] [-- extra bench arguments]

Each pair runs both binaries, the order swapped every other pair (old-new, new-old, ...)
so that a drift of the machine during the run falls on both. Between runs the disk is
left to settle: sync, a PostgreSQL CHECKPOINT when --postgres is given, and a pause,
so that one run's background writes do not slow the next. Prints every run's figures,
then the medians and the ratio new / old per line (higher is faster).
"""

import argparse
import re
import statistics
import subprocess
import sys
import time

# "  SQLite     POST /api/v1/applications: 1500 applications in 3.91 s = 383 /s (...)"
INTAKE = re.compile(r"^\s+(\S+)\s+POST /api/v1/applications: .* = ([\d,]+) /s")
# "    cancuoc import forms (validated, indexed)   7.12 s   28,090 rows/s ..."
IMPORT = re.compile(r"^\s+cancuoc import forms \(validated, indexed\)\s+[\d.]+ s\s+([\d,]+) rows/s")
# "  SQLite" / "  PostgreSQL": the store the following import lines belong to.
STORE = re.compile(r"^  (SQLite|PostgreSQL)\s*$")


def figures(kind, output):
    """{line name: rate} from one run's standard output."""
    found, store = {}, None
    for line in output.splitlines():
        if kind == "intake":
            m = INTAKE.match(line)
            if m:
                found[m.group(1)] = float(m.group(2).replace(",", ""))
        else:
            s = STORE.match(line)
            if s:
                store = s.group(1)
            m = IMPORT.match(line)
            if m and store:
                found[store] = float(m.group(1).replace(",", ""))
    return found


def settle(postgres):
    subprocess.run(["sync"], check=True)
    if postgres:
        subprocess.run(["psql", "-X", "-q", postgres, "-c", "CHECKPOINT"], check=True)
    time.sleep(5)


def run(binary, kind, postgres, extra):
    command = [binary, "bench", kind, *extra]
    if postgres:
        command += ["--postgres", postgres]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    found = figures(kind, result.stdout)
    if not found:
        sys.exit(f"no figures in the output of {' '.join(command)}:\n{result.stdout}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("kind", choices=["intake", "import"])
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--postgres")
    # Whatever else is given (after `--`) goes to the bench command itself.
    args, extra = parser.parse_known_args()
    args.extra = [a for a in extra if a != "--"]

    runs = {"old": [], "new": []}
    for pair in range(args.pairs):
        order = ["old", "new"] if pair % 2 == 0 else ["new", "old"]
        for which in order:
            settle(args.postgres)
            found = run(getattr(args, which), args.kind, args.postgres, args.extra)
            runs[which].append(found)
            shown = ", ".join(f"{k} {v:,.0f}" for k, v in found.items())
            print(f"pair {pair + 1} {which}: {shown}", flush=True)

    unit = "/s" if args.kind == "intake" else "rows/s"
    print(f"\nmedians of {args.pairs} pairs ({unit}); ratio = new / old")
    for line in runs["old"][0]:
        old = statistics.median(r[line] for r in runs["old"])
        new = statistics.median(r[line] for r in runs["new"])
        print(f"  {line:<11} old {old:>9,.1f}   new {new:>9,.1f}   ratio {new / old:.2f}")


if __name__ == "__main__":
    main()
