"""Optimal dynamic partial-order reduction with wakeup trees.

Implements Optimal-DPOR of Abdulla, Aronis, Jonsson and Sagonas, "Source Sets: A
Foundation for Optimal Dynamic Partial Order Reduction", JACM 64(4), 2017 (Optimal-DPOR:
sleep sets + wakeup trees; races analysed at the end of each maximal execution).
Under SC two executions are equivalent iff they build the same execution graph (same
po, rf, co), so exploring one execution per Mazurkiewicz trace -- with reads on the same
location independent -- explores each consistent graph exactly once.  Sleep sets make
that hold; wakeup trees make every run complete (no sleep-set blocked runs).

Extension for awaits (``bit_spin_lock``, ``spin_lock``: "wait until the lock is free,
then take it", DESIGN.md): a race (e, e') where e' could not run before e (the lock
was held) is not reversed; the search goes on to earlier writes, so that e' races with
the acquisition that disabled it (the classic treatment of lock races: the later lock
races with the earlier *lock*, not with the unlock it read from).

Stateless: every run replays its prefix from a fresh build of the program; memory is a
stack of nodes (sleep set + wakeup tree), polynomial in the run length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pagerace.core.ops import Op
from pagerace.explore.execution import Execution, Step
from pagerace.explore.runtime import peek_effect


class Info(NamedTuple):
    """What independence needs to know of an event: thread, location, read/write."""

    tid: int
    lid: int | None
    reads: bool
    writes: bool


def dependent(a: Info, b: Info) -> bool:
    if a.tid == b.tid:
        return True
    if a.lid is None or a.lid != b.lid:
        return False
    return a.writes or b.writes


@dataclass(slots=True)
class WuNode:
    """A node of a wakeup tree: the event to run next and the subtree after it."""

    info: Info
    children: list[WuNode] = field(default_factory=list)


@dataclass(slots=True)
class Node:
    """The state before the ``depth``-th event of the current run."""

    sleep: dict[int, Info]
    wut: list[WuNode]  # children of this node's wakeup-tree root, in exploration order
    chosen: WuNode | None = None  # branch being explored from here
    done: Info | None = None  # the event actually run from here


def step_info(step: Step) -> Info:
    e = step.event
    return tuple.__new__(Info, (e.tid, e.lid, e.reads, e.writes))  # Info(...), on the hot path


def next_info(ex: Execution, tid: int) -> Info:
    op = ex.threads[tid].pending
    assert op is not None and op.loc is not None
    reads, writes = peek_effect(op, ex.pending_value(tid))
    return Info(tid, op.loc.lid, reads, writes)


def weak_initial(p: Info, v: Sequence[Info]) -> bool:
    """Is ``p``'s thread a weak initial of ``v`` (JACM 2017, weak initials ``WI``)?  Either its
    first event in ``v`` depends on nothing before it in ``v``, or the thread does not
    occur in ``v`` and its next event ``p`` is independent of all of ``v``."""
    for idx, x in enumerate(v):
        if x.tid == p.tid:
            return not any(dependent(y, x) for y in v[:idx])
    return not any(dependent(p, y) for y in v)


def insert(v: list[Info], root: list[WuNode]) -> None:
    """``insert_[E](v, wut)``: add ``v`` unless a leaf already weakly covers it."""
    children, at_root = root, True
    while True:
        if (not at_root and not children) or not v:
            return
        for child in children:
            if weak_initial(child.info, v):
                v = _without_first(v, child.info.tid)
                children, at_root = child.children, False
                break
        else:
            for info in v:
                node = WuNode(info)
                children.append(node)
                children = node.children
            return


def _without_first(v: list[Info], tid: int) -> list[Info]:
    for i, x in enumerate(v):
        if x.tid == tid:
            return v[:i] + v[i + 1 :]
    return v


class RaceAnalyser:
    """Finds the races of each maximal run and inserts their reversals into the wakeup
    trees of the nodes before them (JACM 2017, Optimal-DPOR).

    Vector clocks of the happens-before relation (po plus conflicting accesses, reads on
    one location independent) are kept across runs: a run replays the previous run's
    first ``start`` events, whose clocks are unchanged, so only the new suffix is
    computed.  Races whose later event lies in that prefix were analysed by an earlier
    run; inserting them again would change nothing, so they are skipped.
    """

    def __init__(self, nthreads: int) -> None:
        self.nthreads = nthreads
        self.vc: list[list[int]] = []
        self.pos: list[int] = []  # index of each step among its thread's steps
        self.tid: list[int] = []
        self.accesses: dict[int, list[int]] = {}
        self.valid = 0  # how many leading clocks belong to the current run's prefix

    def skip(self, replayed: int) -> None:
        """A run that is not analysed (cut by a bound) still replaced the steps after
        its first ``replayed``: clocks beyond that point are stale."""
        self.valid = min(self.valid, replayed)

    def analyse(
        self,
        steps: Sequence[Step],
        nodes: list[Node],
        waiting: Sequence[Waiter] = (),
        start: int = 0,
    ) -> int:
        """Returns the number of reversals inserted.  ``waiting`` are the awaits still
        pending at the end (a deadlock): each races, as a last event that never ran,
        with the writes that kept it disabled."""
        begin = min(start, self.valid)
        self._truncate(begin)
        vc, pos, accesses = self.vc, self.pos, self.accesses
        last_of_thread = self._last_of_thread(begin)
        inserted = 0
        for j in range(begin, len(steps)):
            s = steps[j]
            e = s.event
            t = e.tid
            prev = last_of_thread.get(t)
            clock = list(vc[prev]) if prev is not None else [0] * self.nthreads
            pos.append(clock[t])
            race_clock = list(clock)
            lid = e.lid
            assert lid is not None
            acc = accesses.setdefault(lid, [])
            for k in reversed(acc):
                # Writes to one location are totally ordered by hb: the last write's
                # clock covers every earlier access, so the walk stops there.
                if steps[k].event.writes:
                    _join(clock, vc[k])
                    break
                if e.writes:
                    _join(clock, vc[k])
            if j >= start:
                inserted += _scan(steps, nodes, vc, pos, acc, race_clock, s.op, t, e.writes, j)
            clock[t] = pos[j] + 1
            vc.append(clock)
            self.tid.append(t)
            acc.append(j)
            last_of_thread[t] = j
        for w in waiting:
            prev = last_of_thread.get(w.tid)
            clock = list(vc[prev]) if prev is not None else [0] * self.nthreads
            assert w.op.loc is not None
            inserted += _scan(
                steps,
                nodes,
                vc,
                pos,
                accesses.get(w.op.loc.lid, []),
                clock,
                w.op,
                w.tid,
                True,
                len(steps),
            )
        self.valid = len(steps)
        return inserted

    def _truncate(self, start: int) -> None:
        if len(self.vc) == start:
            return
        del self.vc[start:], self.pos[start:], self.tid[start:]
        for acc in self.accesses.values():
            while acc and acc[-1] >= start:
                acc.pop()

    def _last_of_thread(self, start: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for j in range(start - 1, -1, -1):
            out.setdefault(self.tid[j], j)
            if len(out) == self.nthreads:
                break
        return out


class Waiter(NamedTuple):
    """A thread left waiting at the end of a run: its await never ran."""

    tid: int
    op: Op


def _scan(
    steps: Sequence[Step],
    nodes: list[Node],
    vc: list[list[int]],
    pos: list[int],
    acc: Sequence[int],
    race_clock: list[int],
    op: Op,
    tid: int,
    writes: bool,
    j: int,
) -> int:
    """Races of thread ``tid``'s event ``op`` (at position ``j``; ``writes``: what it did
    there) with the earlier accesses ``acc`` to its location, latest first.
    ``race_clock`` starts as what happens before it in its own thread and grows with
    each access passed."""
    inserted = 0
    lid = op.loc.lid if op.loc is not None else None
    for k in reversed(acc):
        sk = steps[k]
        ek = sk.event
        if not (ek.writes or writes):
            continue
        if ek.tid != tid and race_clock[ek.tid] <= pos[k]:
            if op.cond is not None and not op.cond(sk.before):
                continue  # it was disabled before k: reverse with an earlier write
            # Moved before k, the event reads what k found: its effect there is exact.
            reads, may_write = peek_effect(op, sk.before)
            last = Info(tid, lid, reads, may_write)
            inserted += _reverse(steps, nodes, vc, pos, k, j, last)
        _join(race_clock, vc[k])
        if ek.writes:
            break  # every earlier access happens before this write: none can race
    return inserted


def _reverse(
    steps: Sequence[Step],
    nodes: list[Node],
    vc: list[list[int]],
    pos: list[int],
    i: int,
    j: int,
    last: Info,
) -> int:
    """Insert ``notdep(e_i).e_j`` at the node before ``e_i`` (JACM 2017, race reversal);
    ``last`` describes ``e_j`` conservatively (an RMW may write once reordered)."""
    ti, pi = steps[i].event.tid, pos[i]
    v = [step_info(steps[k]) for k in range(i + 1, j) if vc[k][ti] <= pi]
    v.append(last)
    node = nodes[i]
    if any(weak_initial(q, v) for q in node.sleep.values()):
        return 0
    insert(v, node.wut)
    return 1


def _join(into: list[int], other: list[int]) -> None:
    into[:] = map(max, into, other)
