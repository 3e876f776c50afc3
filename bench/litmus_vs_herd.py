"""pagerace litmus against herd7's recorded results on the kernel corpus.

Usage: python3 bench/litmus_vs_herd.py [--model lkmm|cat:DIR] [--runs N | --command N] [CORPUS]

For every test in CORPUS (default: ../shared/litmus/kernel) runs ``pagerace litmus``'s
engine in this process and prints, beside herd7's figures from ``expected.tsv``, the
observation, the positive/negative witness counts, the flags, the candidate executions
examined and the time; then the totals.  Exit 1 if any test disagrees with herd7.

``--runs N``: the whole corpus N times, each in a fresh process (this script again),
then the minimum, median and maximum of the per-test times summed: on a shared 2-vCPU
machine one run's total varies by a third or more.

``--command N``: the whole command, ``pagerace litmus CORPUS --model M`` (as
``python -m pagerace``, from compiled bytecode as an installed copy runs: one untimed
run first writes it), N times: each run's wall time from start to exit (Python's
start-up, imports, parsing, exploration, output) and its CPU time, then their minimum,
median and maximum beside herd7's total (the bar: less than herd7's ``herd7_time_s``
summed, in one process).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from pagerace.litmus import run_file

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "litmus" / "kernel"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--model", default="lkmm")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--command", type=int, default=0, metavar="N")
    args = ap.parse_args()
    if args.command:
        return command(args.command, args.model, args.corpus)
    if args.runs > 1:
        return runs(args.runs, args.model, args.corpus)
    corpus = Path(args.corpus)
    with open(corpus / "expected.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    total = herd = 0.0
    bad = 0
    start = time.perf_counter()
    for row in rows:
        r = run_file(corpus / row["file"], args.model)
        want = (row["herd7_observation"].split()[0], int(row["positive"]), int(row["negative"]))
        got = (r.observation, r.positive, r.negative)
        want_flags = tuple(sorted(f for f in row["herd7_flags"].split(",") if f))
        ok = got == want and tuple(r.flags) == want_flags
        bad += not ok
        total += r.elapsed_s
        herd += float(row["herd7_time_s"])
        print(
            f"{'ok ' if ok else 'BAD'} {r.name:55} {got[0]:9} {got[1]:3} {got[2]:3} "
            f"herd7 {want[0]:9} {want[1]:3} {want[2]:3} flags {','.join(r.flags) or '-':12}"
            f" herd7 {','.join(want_flags) or '-':12} {r.executions:5} execs {r.elapsed_s:6.3f} s"
        )
    wall = time.perf_counter() - start
    print(
        f"{len(rows)} tests, {bad} disagree with herd7; pagerace {total:.2f} s "
        f"(wall {wall:.2f} s), herd7 {herd:.2f} s"
    )
    return 1 if bad else 0


def runs(n: int, model: str, corpus: str) -> int:
    totals = []
    for i in range(n):
        out = subprocess.run(
            [sys.executable, __file__, "--model", model, corpus], capture_output=True, text=True
        )
        last = out.stdout.strip().splitlines()[-1]
        print(f"run {i + 1}: {last}")
        if out.returncode:
            return out.returncode
        totals.append(float(last.split("pagerace ")[1].split(" s")[0]))
    print(
        f"{n} runs: pagerace per-test times summed: min {min(totals):.2f} s, median "
        f"{statistics.median(totals):.2f} s, max {max(totals):.2f} s"
    )
    return 0


def command(n: int, model: str, corpus: str) -> int:
    with open(Path(corpus) / "expected.tsv") as f:
        herd = sum(float(row["herd7_time_s"]) for row in csv.DictReader(f, delimiter="\t"))
    argv = [sys.executable, "-m", "pagerace", "litmus", corpus, "--model", model]
    # As an installed pagerace runs: from compiled bytecode (pip compiles it at install
    # time; PYTHONDONTWRITEBYTECODE, set on some machines, would have every run compile
    # every module again), written by one untimed run first.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, capture_output=True, text=True, env=env)
    walls, cpus = [], []
    for i in range(n):
        before = os.times()
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        if out.returncode >= 2:  # (1: a verdict differs from its header, as under --model sc)
            print(out.stdout[-2000:], out.stderr[-2000:], sep="\n")
            return out.returncode
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {i + 1}: wall {wall:.3f} s, cpu {cpu:.3f} s")
    print(
        f"{n} runs of `pagerace litmus {corpus} --model {model}`: wall min {min(walls):.3f} "
        f"median {statistics.median(walls):.3f} max {max(walls):.3f} s; cpu min "
        f"{min(cpus):.3f} median {statistics.median(cpus):.3f} max {max(cpus):.3f} s; "
        f"herd7 {herd:.2f} s (herd7_time_s summed)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
