"""Randomised schedulers for configurations too large to exhaust.

Contract of a :class:`Strategy`: ``begin(run)`` is called before each run with its
number; ``choose(enabled, step)`` returns one of ``enabled`` (thread ids, ascending) for
shared step number ``step``.  All randomness comes from the seeded ``random.Random``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

STRATEGIES = ("exhaustive", "random", "pct")  # how runs are chosen (``Options.strategy``)
MAX_STEPS = 5000  # shared steps per run, by default (``Options.max_steps``)


class Strategy(Protocol):
    name: str

    def begin(self, run: int, nthreads: int) -> None: ...

    def choose(self, enabled: Sequence[int], step: int) -> int: ...


class RandomWalk:
    """Uniformly random choice among enabled threads at every step."""

    name = "random"

    def __init__(self, seed: int) -> None:
        from random import Random  # (imported by the strategies that draw)

        self.rng = Random(seed)

    def begin(self, run: int, nthreads: int) -> None:
        pass

    def choose(self, enabled: Sequence[int], step: int) -> int:
        return self.rng.choice(list(enabled))


class PCT:
    """Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
    ASPLOS 2010): random thread priorities and ``depth - 1`` random priority-change
    points; finds any bug of depth ``d`` with probability at least ``1/(n k^(d-1))``
    per run (n threads, k steps)."""

    name = "pct"

    def __init__(self, seed: int, depth: int = 3) -> None:
        from random import Random

        self.rng = Random(seed)
        self.depth = depth
        self.k = 50  # estimate of the run length, updated as runs are seen
        self.prio: dict[int, int] = {}
        self.changes: dict[int, int] = {}

    def begin(self, run: int, nthreads: int) -> None:
        order = list(range(nthreads))
        self.rng.shuffle(order)
        self.prio = {tid: self.depth + rank for rank, tid in enumerate(order)}
        points = self.rng.sample(range(1, self.k + 1), min(self.depth - 1, self.k))
        self.changes = {p: i for i, p in enumerate(sorted(points))}

    def choose(self, enabled: Sequence[int], step: int) -> int:
        self.k = max(self.k, step + 1)
        best = max(enabled, key=lambda t: self.prio[t])
        if step in self.changes:
            self.prio[best] = self.depth - 1 - self.changes[step]
            best = max(enabled, key=lambda t: self.prio[t])
        return best


def make_strategy(name: str, seed: int, depth: int = 3) -> Strategy:
    if name == "random":
        return RandomWalk(seed)
    if name == "pct":
        return PCT(seed, depth)
    raise ValueError(name)
