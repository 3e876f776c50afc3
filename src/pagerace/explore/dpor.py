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

from pagerace.core.ops import Op, OpKind
from pagerace.explore.execution import Execution, Step
from pagerace.explore.runtime import peek_effect
from pagerace.explore.values import raw


class Info(NamedTuple):
    """What independence needs to know of an event: thread, location, read/write, and
    which bits: ``rmask`` the bits a load's result depends on, ``wmask`` the bits a
    write changed (None: unknown or all)."""

    tid: int
    lid: int | None
    reads: bool
    writes: bool
    rmask: int | None = None
    wmask: int | None = None


def dependent(a: Info, b: Info) -> bool:
    """Same thread, or same location with a write, except that a load that observes
    only some bits and a write that changes none of them commute (``test_bit`` against
    a bit lock on the same flags word; a write of the value already there): swapped,
    the load returns the same result and the write writes the same value."""
    if a.tid == b.tid:
        return True
    if a.lid is None or a.lid != b.lid:
        return False
    if a.writes and b.writes:
        return True
    if a.writes:
        return b.reads and _overlap(b.rmask, a.wmask)
    if b.writes:
        return a.reads and _overlap(a.rmask, b.wmask)
    return False


def _overlap(rmask: int | None, wmask: int | None) -> bool:
    return rmask is None or wmask is None or bool(rmask & wmask)


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
    wmask = None
    if e.writes:
        old, new = step.before, e.written_value
        if type(old) is int and type(new) is int:
            wmask = old ^ new
    # Info(...) through tuple.__new__: this is the hot path.
    return tuple.__new__(Info, (e.tid, e.lid, e.reads, e.writes, step.op.mask, wmask))


def pending_info(tid: int, op: Op, value: object) -> Info:
    """``op`` (not run yet) as it would run on a location holding ``value``."""
    assert op.loc is not None
    reads, writes = peek_effect(op, value)
    wmask = None
    if writes and type(value) is int:
        new = raw(op.value) if op.kind is OpKind.STORE else _rmw_value(op, value)
        wmask = value ^ new if type(new) is int else None
    return Info(tid, op.loc.lid, reads, writes, op.mask, wmask)


def _rmw_value(op: Op, value: object) -> object:
    if op.fn is None or (op.cond is not None and not op.cond(value)):
        return None  # an await that cannot run yet: what it writes is unknown
    return op.fn(value)[0]


def next_info(ex: Execution, tid: int) -> Info:
    op = ex.threads[tid].pending
    assert op is not None and op.loc is not None
    return pending_info(tid, op, ex.pending_value(tid))


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
        self.infos: list[Info] = []  # step_info of each step of the current run
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
        vc, pos, accesses, infos = self.vc, self.pos, self.accesses, self.infos
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
            info = infos[j] if j < len(infos) else step_info(s)
            if j == len(infos):
                infos.append(info)
            for k in reversed(acc):
                ik = infos[k]
                if not dependent(ik, info):
                    continue
                if ik.tid != t:  # the thread's own earlier accesses are in clock already
                    _join(clock, vc[k])
                # Writes to one location are totally ordered by hb: the latest write a
                # load depends on covers every earlier access it depends on.  A write
                # walks on: an earlier load may commute with the writes in between.
                if not e.writes and steps[k].event.writes:
                    break
            if j >= start:
                inserted += _scan(steps, nodes, vc, pos, acc, race_clock, s.op, info, j, infos)
            clock[t] = pos[j] + 1
            vc.append(clock)
            self.tid.append(t)
            acc.append(j)
            last_of_thread[t] = j
        for w in waiting:
            prev = last_of_thread.get(w.tid)
            clock = list(vc[prev]) if prev is not None else [0] * self.nthreads
            assert w.op.loc is not None
            waiter = Info(w.tid, w.op.loc.lid, True, True, w.op.mask, None)
            inserted += _scan(
                steps,
                nodes,
                vc,
                pos,
                accesses.get(w.op.loc.lid, []),
                clock,
                w.op,
                waiter,
                len(steps),
                infos,
            )
        self.valid = len(steps)
        return inserted

    def _truncate(self, start: int) -> None:
        if len(self.vc) == start:
            return
        del self.vc[start:], self.pos[start:], self.tid[start:], self.infos[start:]
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
    info: Info,
    j: int,
    infos: Sequence[Info],
) -> int:
    """Races of the event ``info`` (thread ``info.tid``'s ``op`` at position ``j``) with
    the earlier accesses ``acc`` to its location, latest first.  ``race_clock`` starts
    as what happens before it in its own thread and grows with each access passed."""
    inserted = 0
    tid = info.tid
    for k in reversed(acc):
        ik = infos[k]
        if not dependent(ik, info):
            continue
        sk = steps[k]
        ek = sk.event
        if ik.tid == tid:  # program order: no race, and race_clock covers it already
            if ek.writes and not info.writes:
                break
            continue
        if race_clock[ek.tid] <= pos[k]:
            if op.cond is not None and not op.cond(sk.before):
                continue  # it was disabled before k: reverse with an earlier write
            # Moved before k, the event reads what k found: its effect there is exact.
            last = pending_info(tid, op, sk.before)
            inserted += _reverse(steps, nodes, vc, pos, k, j, last, infos)
        _join(race_clock, vc[k])
        if ek.writes and not info.writes:
            break  # every earlier access this load depends on happens before this write
    return inserted


def _reverse(
    steps: Sequence[Step],
    nodes: list[Node],
    vc: list[list[int]],
    pos: list[int],
    i: int,
    j: int,
    last: Info,
    infos: Sequence[Info],
) -> int:
    """Insert ``notdep(e_i).e_j`` at the node before ``e_i`` (JACM 2017, race reversal);
    ``last`` describes ``e_j`` as it would run there."""
    ti, pi = steps[i].event.tid, pos[i]
    v = [infos[k] for k in range(i + 1, j) if vc[k][ti] <= pi]
    v.append(last)
    node = nodes[i]
    if any(weak_initial(q, v) for q in node.sleep.values()):
        return 0
    insert(v, node.wut)
    return 1


def _join(into: list[int], other: list[int]) -> None:
    into[:] = map(max, into, other)
