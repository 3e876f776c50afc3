"""TruSt's load buffering against herd7's method on random programs, under the LKMM.

Draws ``--programs`` programs from ``--seed`` (2-3 threads, at most ``--ops`` (5) operations of
``tests/programs.py``, every opcode), explores each with TruSt and with the candidate
engine (every combination of thread paths, reads-from and coherence, checked by the
model), and compares the graphs, executions where a thread waits forever left out
(the candidate engine, as herd7, assumes awaits pass).  A program whose candidate run
takes more than ``--limit`` seconds is skipped and counted.  Prints one line per
program that differs and a summary: programs compared, programs differing, revisit
results TruSt built a second way and dropped before re-running them (``rebuilt``),
graphs re-run a second way (``duplicates``: none, when each execution is explored
once), graph replays.

    python bench/lb_vs_candidates.py [--seed 1] [--programs 150] [--limit 20] [--ops 5]
                                     [--branches]

``--branches`` draws from the opcodes around the two that branch on what they read
and keeps only programs with one of those: cycles through reads whose new value
takes a thread down another branch (``rerouted`` in TruSt's stats).

Exit status 1 when a program differs.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.programs import OPCODES, make_program
from tests.unit.explore.test_trust import candidate_shapes, outcomes, shape

from pagerace.models.lkmm import LKMM

# Opcodes for --branches: the two that branch on a read, and what their reads may read.
BRANCHY = (
    "branch_write",
    "test_bit_write",
    "na_set_bit",
    "write",
    "read",
    "xchg",
    "inc",
    "set_bit",
    "cmpxchg",
)
_BRANCH = ("branch_write", "test_bit_write")


class _TooLong(BaseException):
    """The candidate run's time is up (not an ``Exception``: the runtime records those,
    raised in a thread's code, as the model's own, and the run would go on with a
    path that ends there)."""


def _alarm(*_: Any) -> None:
    raise _TooLong


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--programs", type=int, default=150)
    ap.add_argument("--limit", type=int, default=20, help="seconds per candidate run")
    ap.add_argument("--ops", type=int, default=5, help="operations per program, at most")
    ap.add_argument(
        "--branches",
        action="store_true",
        help="draw from the opcodes of BRANCHY and keep only programs with a branch",
    )
    args = ap.parse_args()
    rng = random.Random(args.seed)
    opcodes = BRANCHY if args.branches else OPCODES
    signal.signal(signal.SIGALRM, _alarm)
    compared = differing = duplicates = rebuilt = replays = skipped = rerouted = 0
    for _ in range(args.programs):
        threads = [
            [
                (rng.choice(opcodes), rng.randint(0, 1), rng.randint(0, 2))
                for _ in range(rng.randint(1, 3))
            ]
            for _ in range(rng.randint(2, 3))
        ]
        if sum(map(len, threads)) > args.ops:
            continue
        if args.branches and not any(op in _BRANCH for code in threads for op, _, _ in code):
            continue
        program = make_program(threads)
        signal.alarm(args.limit)
        try:
            herd = set(candidate_shapes(program, LKMM()))
        except _TooLong:
            skipped += 1
            continue
        finally:
            signal.alarm(0)
        found, trust = outcomes(program, LKMM())
        compared += 1
        duplicates += trust.stats.duplicates
        rebuilt += trust.stats.rebuilt
        replays += trust.stats.replays
        rerouted += trust.stats.rerouted
        built = [shape(o.graph) for o in found if not o.waiting]
        if set(built) != herd or len(built) != len(set(built)):
            differing += 1
            print(
                f"differs: {threads}: TruSt {len(set(built))} graphs "
                f"({len(built)} reported), herd7's method {len(herd)}"
            )
    print(
        f"seed {args.seed}: {compared} programs compared, {differing} differing, "
        f"{rebuilt} revisit results built a second way and dropped before a re-run, "
        f"{duplicates} graphs re-run a second way, {replays} replays, "
        f"{rerouted} revisit results with a thread re-run down another branch, "
        f"{skipped} skipped (candidate run over {args.limit} s)"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
