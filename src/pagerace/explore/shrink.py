"""Shrinking a counterexample to the fewest context switches.

Works on the schedule, the one value a run is (as Hypothesis shrinks choice sequences):
a schedule is a list of blocks (thread, length); candidates merge a block into the
previous or next block of the same thread, or cut the schedule after a block and let
the run finish without preemption.  A candidate is kept when replaying it gives a
finding with the same signature and fewer context switches (then fewer steps).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from pagerace.explore.replay import replay
from pagerace.explore.runtime import Program

Block = tuple[int, int]


def context_switches(schedule: Sequence[int]) -> int:
    return sum(1 for a, b in itertools.pairwise(schedule) if a != b)


def shrink(
    program: Program,
    schedule: Sequence[int],
    signature: tuple[str, str],
    *,
    max_replays: int = 3000,
) -> tuple[int, ...]:
    best = tuple(schedule)
    replays = 0
    improved = True
    while improved and replays < max_replays:
        improved = False
        for cand in _candidates(_blocks(best)):
            replays += 1
            ex = replay(program, cand, strict=False)
            got = tuple(ex.schedule)
            if any(f.signature == signature for f in ex.findings) and _key(got) < _key(best):
                best, improved = got, True
                break
            if replays >= max_replays:
                break
    return best


def _key(schedule: Sequence[int]) -> tuple[int, int]:
    return (context_switches(schedule), len(schedule))


def _blocks(schedule: Sequence[int]) -> list[Block]:
    out: list[Block] = []
    for tid in schedule:
        if out and out[-1][0] == tid:
            out[-1] = (tid, out[-1][1] + 1)
        else:
            out.append((tid, 1))
    return out


def _flatten(blocks: Sequence[Block]) -> tuple[int, ...]:
    return tuple(t for t, n in blocks for _ in range(n))


def _candidates(blocks: list[Block]) -> Iterator[tuple[int, ...]]:
    for cut in range(1, len(blocks)):
        yield _flatten(blocks[:cut])
    for b, (tid, n) in enumerate(blocks):
        later = next((k for k in range(b + 1, len(blocks)) if blocks[k][0] == tid), None)
        earlier = next((k for k in range(b - 1, -1, -1) if blocks[k][0] == tid), None)
        if later is not None:
            moved = list(blocks)
            moved[later] = (tid, moved[later][1] + n)
            del moved[b]
            yield _flatten(moved)
        if earlier is not None:
            moved = list(blocks)
            moved[earlier] = (tid, moved[earlier][1] + n)
            del moved[b]
            yield _flatten(moved)
