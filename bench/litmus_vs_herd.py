"""pagerace litmus against herd7's recorded results on the kernel corpus.

Usage: python3 bench/litmus_vs_herd.py [--model lkmm|cat:DIR] [CORPUS]

For every test in CORPUS (default: ../shared/litmus/kernel) runs ``pagerace litmus``'s
engine in this process and prints, beside herd7's figures from ``expected.tsv``, the
observation, the positive/negative witness counts, the flags, the candidate executions
examined and the time; then the totals.  Exit 1 if any test disagrees with herd7.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from pagerace.litmus import run_file

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "litmus" / "kernel"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT))
    ap.add_argument("--model", default="lkmm")
    args = ap.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
