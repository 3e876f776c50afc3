"""The Linux-kernel memory model (LKMM) as a native consistency predicate.

Alglave, Maranget, McKenney, Parri, Stern, "Frightening small children and
disconcerting grown-ups: Concurrency in the Linux kernel", ASPLOS 2018 (below: the
paper), in the version of the kernel's ``tools/memory-model``: ``linux-kernel.bell``
(upper-case tags, ``lkmmv2``), ``linux-kernel.cat`` (with ``rmw-sequence``,
``FailedRMW``, ``Noreturn``, SRCU and the plain-access data-race rules) and
``lock.cat``.  Each definition below is one ``let`` of those files, named as there
(``-`` spelled ``_``), evaluated on the :class:`~pagerace.models.herdview.HerdView` of
a graph, i.e. on the events herd7 would build (see herdview.py for that translation and
for how lock.cat's generated ``co``/``rf`` become the graph's concrete ones).

Axioms, reported by ``violation`` in the order herd7 checks them (lock.cat is included
first): ``lock-nest``, ``nested-is-locked``, ``unmatched-locks``, ``coherence``,
``atomic``, ``happens-before``, ``propagation``, ``rcu``, ``plain-coherence``.  Flags
(``flags``), in file order: the bell's RCU/SRCU nesting flags, lock.cat's, then
``mixed-accesses`` and ``data-race``.  lock.cat's ``lock-final`` is never raised: herd's
``FW`` is the final writes its test's condition observes, and a graph has no condition.

Partial graphs (some threads unfinished): the axioms are prefix-closed and may be
checked on them; flags (unmatched locks, races against accesses yet to come) mean
something only on complete graphs.

Speed: the candidate engine asks about many graphs that differ only in rf and co, so
the lets are kept at three levels: those of the graph's skeleton (its events, ``po``,
tags and dependencies: :class:`SkeletonRelations`, kept with the skeleton herdview.py
caches), those that read only the few rf edges a skeleton's graphs nearly always agree
on (``carry-dep`` through ``rfi``, lock handovers: :class:`FencedRelations`, one per
such set of edges; ``cumul-fence*`` is kept there too, by the rf it reads), and the
graph's own (:class:`LkmmRelations`).  Relations are :class:`Bits`, one bitmask of
successors per event: a composition costs one big-integer OR per related pair (per
distinct row, for a fence's relations), the closure of an acyclic relation about one
per event (Warshall's algorithm if it has a cycle), an acyclicity check one sweep.
The axioms are checked in order, each only once those before it hold; ``pb``, ``rb``
and the plain-access relations are only built when a graph has strong fences, grace
periods or plain accesses, and ``ww-vis``, ``wr-vis`` and ``rw-xbstar`` row by row,
at the events of candidate races only.  A check costs about 0.2 ms on a litmus test's
graph (the kernel corpus: 343 graphs, 67 skeletons) and 1.5 ms on a kernel
scenario's (60 herd events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import reduce
from itertools import compress, pairwise
from operator import and_, invert, or_
from typing import Any, Generic, TypeVar, overload

from pagerace.graph.graph import ExecutionGraph
from pagerace.graph.relation import Relation
from pagerace.models.herdview import HerdView, Skeleton, herd_view

_T = TypeVar("_T")


class let(Generic[_T]):  # noqa: N801 - a decorator, as functools.cached_property
    """A cached property: computed on first access and kept in the instance's
    ``__dict__``, which from then on shadows this (non-data) descriptor.  Unlike
    ``functools.cached_property`` (on Python 3.11) it takes no lock, which made up a
    good part of the cost of checking a small graph."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func, self.name, self.__doc__ = func, func.__name__, func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> let[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | let[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


def mask_of(events: Iterable[int]) -> int:
    m = 0
    for e in events:
        m |= 1 << e
    return m


# Row-wise operations run as map() over operator functions where that is cheaper than a
# comprehension (a bytecode loop per row); making the new ints costs as much, though.
_BITS: list[int] = []  # 1 << i at i
_BINARY = bytes.maketrans(b"\x00\x01", b"01")


def bits(n: int) -> list[int]:
    """``1 << i`` for every event ``i`` (and maybe more: ``map`` stops at the rows)."""
    if len(_BITS) < n:
        _BITS.extend(1 << i for i in range(len(_BITS), n))
    return _BITS


def mask_where(flags: Iterable[object]) -> int:
    """The events whose flag is true, the flags listed in event order."""
    digits = bytes(map(bool, reversed(list(flags)))).translate(_BINARY)
    return int(digits, 2) if digits else 0


def members(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def in_order(n: int, sequences: Iterable[tuple[int, ...]]) -> Bits:
    """Each event to the events after it in its sequence."""
    rows = [0] * n
    for seq in sequences:
        after = 0
        for e in reversed(seq):
            rows[e] = after
            after |= 1 << e
    return Bits(rows)


class Bits:
    """A relation over events ``0..n-1``: ``rows[a]`` is the bitmask of ``a``'s
    successors.  Operators as :class:`~pagerace.graph.relation.Relation` (cat's).
    ``transitive`` marks a relation known to be transitive (a closure, or ``r?`` of
    one): :meth:`image` then skips what it has reached.  Rows are never changed once a
    relation is built (relations are shared between graphs: see the module docstring).
    """

    __slots__ = ("_busy", "_groups", "_reflexive", "rows", "transitive")

    def __init__(self, rows: list[int], transitive: bool = False) -> None:
        self.rows = rows
        self.transitive = transitive  # known to be: closures are (see image())
        self._busy = -1  # computed on first image(): see there
        self._reflexive = 0
        self._groups: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def of_pairs(n: int, pairs: Iterable[tuple[int, int]]) -> Bits:
        rows = [0] * n
        for a, b in pairs:
            rows[a] |= 1 << b
        return Bits(rows)

    @staticmethod
    def identity(n: int, mask: int) -> Bits:
        """``[S]``."""
        return Bits(list(map(mask.__and__, bits(n)[:n])))

    def __or__(self, other: Bits) -> Bits:
        return Bits(list(map(or_, self.rows, other.rows)))

    def __and__(self, other: Bits) -> Bits:
        return Bits(list(map(and_, self.rows, other.rows)))

    def __sub__(self, other: Bits) -> Bits:
        return Bits(list(map(and_, self.rows, map(invert, other.rows))))

    def __matmul__(self, other: Bits) -> Bits:
        """``r ; s``.  Rows repeat a lot (every event before a fence has the same
        ``fencerel`` row), so each distinct row is composed once."""
        memo: dict[int, int] = {0: 0}
        out = []
        for x in self.rows:
            y = memo.get(x)
            if y is None:
                y = memo[x] = other.image(x)
            out.append(y)
        return Bits(out)

    def image(self, mask: int) -> int:
        """The successors of a set of events.  Most rows of the relations composed
        here are empty or just the event itself (``r?``, ``r*`` of a sparse ``r``):
        those are answered with one mask, and only the other rows are visited.  Where
        many rows are equal (a fence's relations: every event before it has the same
        row), each distinct row is visited once, if one of its events is in ``mask``."""
        if self._busy < 0:
            self._split_rows()
        out = mask & self._reflexive
        mask &= self._busy
        if self._groups:
            for row, events in self._groups:
                if mask & events:
                    out |= row
            return out
        rows = self.rows
        if self.transitive:
            # The events a visited one reaches add nothing of their own: skip them.
            # Lowest-numbered first, as those tend to reach the others.
            while mask:
                low = mask & -mask
                r = rows[low.bit_length() - 1]
                out |= r
                mask = (mask ^ low) & ~r
            return out
        while mask:
            low = mask & -mask
            out |= rows[low.bit_length() - 1]
            mask ^= low
        return out

    def _split_rows(self) -> None:
        busy = reflexive = 0
        for i, r in enumerate(self.rows):
            if r == 1 << i:
                reflexive |= r
            elif r:
                busy |= 1 << i
        self._busy, self._reflexive = busy, reflexive

    def grouped(self) -> Bits:
        """This relation, its equal rows grouped for :meth:`image` if that pays (for a
        relation whose images are taken over and over: a skeleton's fences)."""
        self._split_rows()
        groups: dict[int, int] = {}
        for i in members(self._busy):
            r = self.rows[i]
            groups[r] = groups.get(r, 0) | 1 << i
        if 2 * len(groups) <= self._busy.bit_count():
            self._groups = tuple(groups.items())
        return self

    def dom(self, mask: int) -> Bits:
        """``[S] ; r``."""
        return Bits([r if mask >> i & 1 else 0 for i, r in enumerate(self.rows)])

    def rng(self, mask: int) -> Bits:
        """``r ; [S]``."""
        return Bits([r & mask for r in self.rows])

    def opt(self) -> Bits:
        """``r?``."""
        return Bits(list(map(or_, self.rows, bits(len(self.rows)))), self.transitive)

    def inv(self) -> Bits:
        out = [0] * len(self.rows)
        for a, r in enumerate(self.rows):
            for b in members(r):
                out[b] |= 1 << a
        return Bits(out)

    def plus(self) -> Bits:
        """``r+``.  Acyclic (the usual case): each event's successors' closures, taken
        in reverse topological order; a successor already reached through another is
        skipped, and trying the lowest-numbered first (events are numbered about in
        execution order) skips most.  Else Warshall (only events with both a
        predecessor and a successor can be in the middle of a path)."""
        rows = self.rows
        into, outof = self.range(), self.domain()
        if not into & outof:
            return Bits(rows, transitive=True)  # no path of two edges: already closed
        order = self.sinks_first()
        if order is not None:
            out = list(rows)
            for i in order:
                todo = acc = rows[i]
                while todo:
                    low = todo & -todo
                    reach = out[low.bit_length() - 1]
                    acc |= reach
                    todo &= ~(reach | low)
                out[i] = acc
            return Bits(out, transitive=True)
        for k in members(into & outof):
            rk, bit = rows[k], 1 << k
            rows = [r | rk if r & bit else r for r in rows]
        return Bits(rows, transitive=True)

    def star(self) -> Bits:
        return self.plus().opt()

    def acyclic(self) -> bool:
        """No cycle (as :meth:`sinks_first`, without listing the order)."""
        rows = self.rows
        live = self.domain()
        while live:
            before = todo = live
            while todo:
                i = todo.bit_length() - 1
                bit = 1 << i
                todo ^= bit
                if not rows[i] & live:
                    live ^= bit
            if live == before:
                return False
        return True

    def sinks_first(self) -> list[int] | None:
        """The events with a successor, each after all its successors (a reverse
        topological order), or None if there is a cycle.  Events with no successor left
        are peeled off, highest-numbered first: edges mostly go from lower to higher
        numbers, so one sweep usually takes all."""
        rows = self.rows
        live = self.domain()
        order = []
        while live:
            before = todo = live
            while todo:
                i = todo.bit_length() - 1
                bit = 1 << i
                todo ^= bit
                if not rows[i] & live:
                    live ^= bit
                    order.append(i)
            if live == before:
                return None
        return order

    def domain(self) -> int:
        """The events with a successor: ``1 << i`` of each non-empty row, or-ed in C
        (a third faster than a loop over the rows at 16 events)."""
        return reduce(or_, compress(bits(len(self.rows)), self.rows), 0)

    def range(self) -> int:
        return reduce(or_, self.rows, 0)

    def empty(self) -> bool:
        return not any(self.rows)

    def reflexive_at(self) -> int:
        """The events ``a`` with ``(a, a)`` in the relation."""
        return mask_where(map(and_, self.rows, bits(len(self.rows))))

    def pairs(self) -> Iterator[tuple[int, int]]:
        for a, r in enumerate(self.rows):
            for b in members(r):
                yield a, b

    def relation(self) -> Relation:
        """The same relation as a :class:`~pagerace.graph.relation.Relation`."""
        return Relation(self.pairs())

    def find_cycle(self) -> list[int] | None:
        """A cycle, as a list of events, or None (iterative DFS)."""
        colour = [0] * len(self.rows)
        for root in range(len(self.rows)):
            if colour[root]:
                continue
            path, stack = [root], [members(self.rows[root])]
            colour[root] = 1
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    colour[path.pop()] = 2
                    stack.pop()
                elif colour[nxt] == 1:
                    return path[path.index(nxt) :]
                elif not colour[nxt]:
                    colour[nxt] = 1
                    path.append(nxt)
                    stack.append(members(self.rows[nxt]))
        return None


class LazyRows:
    """A relation whose rows are computed on demand (the data-race relations are only
    needed at the events of candidate races)."""

    def __init__(self, row: Callable[[int], int]) -> None:
        self.row, self.cache = row, dict[int, int]()

    def __getitem__(self, a: int) -> int:
        r = self.cache.get(a)
        if r is None:
            r = self.cache[a] = self.row(a)
        return r


class SkeletonRelations:
    """The sets and relations that depend on a graph's skeleton alone (its events,
    ``po``, tags and dependencies; see :class:`~pagerace.models.herdview.Skeleton`),
    shared by every graph of that skeleton.  Built from the skeleton only, so no
    ``let`` here can read rf or co by mistake.

    Each cached property is one ``let`` (the latest binding of a redefined name is the
    plain name; an earlier one carries a suffix, e.g. ``fence0`` before ``rcu-fence`` is
    added).  Sets are bitmasks, relations :class:`Bits`.
    """

    def __init__(self, sk: Skeleton) -> None:
        self.sk, self.n = sk, sk.n
        self.all = (1 << sk.n) - 1
        self.set = {name: mask_of(s) for name, s in sk.sets.items()}
        self._fenced: dict[tuple[tuple[int, int], ...], FencedRelations] = {}

    @staticmethod
    def of(sk: Skeleton) -> SkeletonRelations:
        """The skeleton's relations, built on first use and kept with it."""
        rel = sk.derived.get("lkmm")
        if not isinstance(rel, SkeletonRelations):
            rel = sk.derived["lkmm"] = SkeletonRelations(sk)
        return rel

    def _rel(self, pairs: Iterable[tuple[int, int]]) -> Bits:
        return Bits.of_pairs(self.n, pairs)

    @let
    def nothing(self) -> Bits:
        """The empty relation.  (Most graphs lack most fences, locks and RCU: the lets
        of those come out empty without being worked out.)"""
        return Bits([0] * self.n)

    def fencerel(self, fences: int) -> Bits:
        """``fencerel(S) = (po & (_ * S)) ; po``: per thread, the events after the first
        ``S`` event po-after each event."""
        rows, po = [0] * self.n, self.po.rows
        for evs in self.sk.threads:
            after = 0
            for e in reversed(evs):
                rows[e] = after
                if fences >> e & 1:
                    after = po[e]
        return Bits(rows)

    # -- base relations (herd's built-ins, made concrete) --------------------------------
    @let
    def po(self) -> Bits:
        return in_order(self.n, self.sk.threads)

    @let
    def internal(self) -> Bits:
        """cat's ``int``: same thread; initial writes are in none (``same_proc_not_init``)."""
        rows = [0] * self.n
        for evs in self.sk.threads:
            m = mask_of(evs)
            for e in evs:
                rows[e] = m
        return Bits(rows)

    @let
    def ext(self) -> Bits:
        rows = self.internal.rows
        return Bits([self.all & ~(r | 1 << i) for i, r in enumerate(rows)])

    @let
    def loc(self) -> Bits:
        by_loc: dict[str, int] = {}
        for e, x in self.sk.loc.items():
            by_loc[x] = by_loc.get(x, 0) | 1 << e
        return Bits([by_loc[self.sk.loc[e]] if e in self.sk.loc else 0 for e in range(self.n)])

    @let
    def po_loc(self) -> Bits:
        return self.po & self.loc

    @let
    def deps(self) -> dict[str, Bits]:
        """herd's ``addr``, ``data``, ``ctrl`` (before the bell redefines them)."""
        return {k: self._rel(v) for k, v in self.sk.dep_pairs.items()}

    # -- linux-kernel.bell -------------------------------------------------------------
    @let
    def rmw0(self) -> Bits:
        return self._rel(self.sk.rmw_pairs)

    @let
    def FailedRMW(self) -> int:  # noqa: N802 - the bell's name
        return self.set["RMW"] & ~(self.rmw0.domain() | self.rmw0.range())

    @let
    def Mb(self) -> int:  # noqa: N802
        return self.set["MB"] & ~self.FailedRMW

    @let
    def Noreturn(self) -> int:  # noqa: N802
        return self.set["NORETURN"] & ~self.set["W"]

    @let
    def Acquire(self) -> int:  # noqa: N802
        """The bell's ``ACQUIRE \\ W \\ FailedRMW``, plus lock.cat's ``LKR``."""
        return (self.set["ACQUIRE"] & ~self.set["W"] & ~self.FailedRMW) | self.set["LKR"]

    @let
    def Release(self) -> int:  # noqa: N802
        """The bell's ``RELEASE \\ R \\ FailedRMW``, plus lock.cat's ``UL``."""
        return (self.set["RELEASE"] & ~self.set["R"] & ~self.FailedRMW) | self.set["UL"]

    @let
    def rcu_rscs(self) -> Bits:
        """Matching ``rcu_read_lock``/``rcu_read_unlock`` pairs.  The bell's recursive
        definition (an unmatched lock meets the next unmatched unlock with no unmatched
        event between) is bracket matching, done here with a stack per thread."""
        pairs = []
        lock, unlock = self.set["Rcu-lock"], self.set["Rcu-unlock"]
        if not lock or not unlock:
            return self.nothing
        for evs in self.sk.threads:
            open_: list[int] = []
            for e in evs:
                if lock >> e & 1:
                    open_.append(e)
                elif unlock >> e & 1 and open_:
                    pairs.append((open_.pop(), e))
        return self._rel(pairs)

    @let
    def Marked(self) -> int:  # noqa: N802
        s = self.set
        return (
            (self.all & ~s["M"])
            | s["IW"]
            | s["ONCE"]
            | s["RELEASE"]
            | s["ACQUIRE"]
            | s["MB"]
            | s["RMW"]
            | s["LKR"]
            | s["LKW"]
            | s["UL"]
            | s["LF"]
            | s["RL"]
            | s["RU"]
            | s["Srcu-lock"]
            | s["Srcu-unlock"]
        )

    @let
    def Plain(self) -> int:  # noqa: N802
        return self.set["M"] & ~self.Marked

    # -- lock.cat ----------------------------------------------------------------------
    @let
    def LF(self) -> int:  # noqa: N802
        """``LF | RL``: a read-locked ``spin_is_locked`` is a failed lock attempt."""
        return self.set["LF"] | self.set["RL"]

    @let
    def ALL_LOCKS(self) -> int:  # noqa: N802
        s = self.set
        return s["LKR"] | s["LKW"] | s["UL"] | self.LF | s["RU"] | s["SRCU"]

    @let
    def lk_rmw(self) -> Bits:
        """``([LKR] ; po-loc ; [LKW]) \\ (po ; po)``: an ``LKR`` and the ``LKW`` right
        after it in ``po`` on the same lock (the two halves of one acquisition)."""
        lkr, lkw, loc = self.set["LKR"], self.set["LKW"], self.sk.loc
        if not lkr:
            return self.nothing
        return self._rel(
            (a, b)
            for evs in self.sk.threads
            for a, b in pairwise(evs)
            if lkr >> a & 1 and lkw >> b & 1 and loc[a] == loc[b]
        )

    @let
    def rmw(self) -> Bits:
        return self.rmw0 | self.lk_rmw if self.set["LKR"] else self.rmw0

    @let
    def rmw_rows(self) -> tuple[tuple[int, int], ...]:
        """``rmw`` as a list: each RMW's read and the row of its write."""
        return tuple((r, row) for r, row in enumerate(self.rmw.rows) if row)

    @let
    def R(self) -> int:  # noqa: N802
        return self.set["R"] | self.set["LKR"] | self.LF | self.set["RU"]

    @let
    def W(self) -> int:  # noqa: N802
        """``W | LKW``, and ``UL`` once co is generated."""
        return self.set["W"] | self.set["LKW"] | self.set["UL"]

    @let
    def M(self) -> int:  # noqa: N802
        return self.R | self.W

    def _nested(self, kinds: int) -> Bits:
        """``([LKW] ; po-loc ; [kinds]) \\ (po-loc ; [UL] ; po-loc)``: ``kinds`` events
        inside a critical section of the same lock."""
        inside = self.po_loc.dom(self.set["LKW"]).rng(kinds)
        if inside.empty():
            return inside
        return inside - (self.po_loc.rng(self.set["UL"]) @ self.po_loc)

    @let
    def critical(self) -> Bits:
        """A lock's ``LKW`` to the ``UL`` that ends its critical section."""
        s = self.set
        if not s["LKW"] or not s["UL"]:
            return self.nothing
        between = self.po_loc.rng(s["LKW"] | s["UL"]) @ self.po_loc
        return self.po_loc.dom(s["LKW"]).rng(s["UL"]) - between

    @let
    def UNMATCHED_LKW(self) -> int:  # noqa: N802
        return self.set["LKW"] & ~self.critical.domain()

    @let
    def lock_violation(self) -> str | None:
        """The first of lock.cat's axioms that fails (all are about the skeleton)."""
        if not self.set["LKW"]:
            return None
        if not self._nested(self.set["LKR"]).empty():
            return "lock-nest"
        if not self._nested(self.set["RU"]).empty():
            return "nested-is-locked"
        # ``empty ([UNMATCHED-LKW] ; loc ; [UNMATCHED-LKW]) \ id``: a second lock still
        # held at the end can only have deadlocked.
        held = self.UNMATCHED_LKW
        if any(self.loc.rows[e] & held & ~(1 << e) for e in members(held)):
            return "unmatched-locks"
        return None

    # -- linux-kernel.cat: basic relations ---------------------------------------------
    @let
    def acq_po(self) -> Bits:
        return self.po.dom(self.Acquire).rng(self.M) if self.Acquire else self.nothing

    @let
    def po_rel(self) -> Bits:
        return self.po.dom(self.M).rng(self.Release) if self.Release else self.nothing

    @let
    def R4rmb(self) -> int:  # noqa: N802
        return self.R & ~self.Noreturn

    @let
    def rmb(self) -> Bits:
        if not self.set["Rmb"]:
            return self.nothing
        return self.fencerel(self.set["Rmb"]).dom(self.R4rmb).rng(self.R4rmb)

    @let
    def wmb(self) -> Bits:
        if not self.set["Wmb"]:
            return self.nothing
        return self.fencerel(self.set["Wmb"]).dom(self.W).rng(self.W)

    @let
    def gp(self) -> Bits:
        """``po ; [Sync-rcu | Sync-srcu] ; po?``: grace periods."""
        if not self.grace_periods:
            return self.nothing
        return self.po.rng(self.set["Sync-rcu"] | self.set["Sync-srcu"]) @ self.po.opt()

    @let
    def barrier(self) -> Bits:
        s = self.set
        fences = (
            s["Barrier"] | s["Rmb"] | s["Wmb"] | self.Mb | s["Sync-rcu"] | s["Sync-srcu"]
            | s["Before-atomic"] | s["After-atomic"] | self.Acquire | self.Release
            | s["Rcu-lock"] | s["Rcu-unlock"] | s["Srcu-lock"] | s["Srcu-unlock"]
        )  # fmt: skip
        return self.fencerel(fences) | self.po.rng(self.Release) | self.po.dom(self.Acquire)

    @let
    def grace_periods(self) -> int:
        return self.set["Sync-rcu"] | self.set["Sync-srcu"]

    @let
    def mixed_accesses(self) -> Bits:
        plain_w, marked = self.Plain & self.W, self.Marked
        if not plain_w:
            return self.nothing
        near = self.po_loc - self.barrier
        return near.dom(plain_w).rng(marked) | near.dom(marked).rng(plain_w)

    # -- what the rf-dependent lets read of rf -----------------------------------------
    @let
    def data_targets(self) -> int:
        """The writes ``carry-dep`` and ``carry-srcu-data`` go on from through rf: the
        targets of ``data ; [~Srcu-unlock]``."""
        return self.deps["data"].rng(~self.set["Srcu-unlock"]).range()

    def fenced(self, rf_source: dict[int, int]) -> FencedRelations:
        """The lets that read rf only through its edges out of :attr:`data_targets`
        (into base reads) and out of unlocks (into lock reads), for ``rf_source``:
        graphs that agree on those edges share them."""
        dt, ul = self.data_targets, self.set["UL"]
        key: tuple[tuple[int, int], ...] = ()
        if dt | ul:
            base_r, lkr = self.set["R"], self.set["LKR"]
            key = tuple(
                (w, r)
                for r, w in rf_source.items()
                if (dt >> w & 1 and base_r >> r & 1) or (ul >> w & 1 and lkr >> r & 1)
            )
        f = self._fenced.get(key)
        if f is None:
            if len(self._fenced) >= 64:
                self._fenced.clear()
            f = self._fenced[key] = FencedRelations(self, self._rel(key))
        return f

    # -- flags about the skeleton alone ------------------------------------------------
    @let
    def skeleton_flags(self) -> dict[str, bool]:
        """The bell's RCU flags and lock.cat's, raised or not."""
        s, rscs = self.set, self.rcu_rscs
        return {
            "unmatched-rcu-lock": bool(s["Rcu-lock"] & ~rscs.domain()),
            "unmatched-rcu-unlock": bool(s["Rcu-unlock"] & ~rscs.range()),
            "invalid-sleep": bool(s["Sync-srcu"])
            and not (rscs & (self.po.rng(s["Sync-srcu"]) @ self.po)).empty(),
            "mixed-lock-accesses": self._mixed_lock_accesses(),
            "unpaired-LKW": bool(s["LKW"] & ~self.lk_rmw.range()),
            "unpaired-LKR": bool(s["LKR"] & ~self.lk_rmw.domain()),
            "unmatched-unlock": bool(s["UL"] & ~self.critical.range()),
            "mixed-accesses": not self.mixed_accesses.empty(),
        }

    def _mixed_lock_accesses(self) -> bool:
        """``[M \\ IW \\ ALL-LOCKS] ; loc ; [ALL-LOCKS]`` (the bell's ``M``)."""
        ordinary = self.set["M"] & ~self.set["IW"] & ~self.ALL_LOCKS
        if not self.ALL_LOCKS:
            return False
        return any(self.loc.rows[e] & self.ALL_LOCKS for e in members(ordinary))


class FencedRelations:
    """The lets that read rf only through a few of its edges, which the graphs of one
    skeleton nearly always share: ``carry-dep`` (and so the bell's ``addr``/``data``/
    ``ctrl``) and ``carry-srcu-data`` follow rf out of the writes a data dependency
    reaches, ``po-unlock-lock-po`` follows it from an unlock to a lock; the fences
    (``mb`` through ``po-unlock-lock-po``), the rf-free part of ``ppo`` and of
    ``cumul-fence`` build on them.  ``rf_part`` holds just those edges (see
    :meth:`SkeletonRelations.fenced`).  ``cumul_fence_stars`` keeps the graphs'
    ``cumul-fence*`` (see ``LkmmRelations.cumul_fence_star``).
    """

    def __init__(self, s: SkeletonRelations, rf_part: Bits) -> None:
        self.s, self.n, self.rf_part = s, s.n, rf_part

    @let
    def rf0_part(self) -> Bits:
        """herd's built-in ``rf`` (the bell's: reads of the base ``R``), at the writes
        a data dependency reaches."""
        return self.rf_part.rng(self.s.set["R"])

    @let
    def carry_dep(self) -> Bits:
        """``(data ; [~Srcu-unlock] ; rfi)*``: dependencies carried through plain
        stores and loads (the bell redefines ``addr``/``data``/``ctrl`` with it)."""
        s = self.s
        rfi0 = self.rf0_part & s.internal
        if rfi0.empty():
            return s.nothing.opt()
        return (s.deps["data"].rng(~s.set["Srcu-unlock"]) @ rfi0).star()

    @let
    def carries(self) -> bool:
        """Whether ``carry-dep`` is more than the identity."""
        return not (self.rf0_part & self.s.internal).empty()

    @let
    def addr(self) -> Bits:
        return self.carry_dep @ self.s.deps["addr"] if self.carries else self.s.deps["addr"]

    @let
    def data(self) -> Bits:
        return self.carry_dep @ self.s.deps["data"] if self.carries else self.s.deps["data"]

    @let
    def ctrl(self) -> Bits:
        return self.carry_dep @ self.s.deps["ctrl"] if self.carries else self.s.deps["ctrl"]

    @let
    def srcu_rscs(self) -> Bits:
        """``([Srcu-lock] ; carry-srcu-data ; data ; [Srcu-unlock]) & loc``: the index a
        ``srcu_read_lock`` returned, carried through stores and loads, reaches the
        ``srcu_read_unlock`` of the same srcu_struct."""
        s = self.s
        if not s.set["Srcu-lock"] or not s.set["Srcu-unlock"]:
            return s.nothing
        data = s.deps["data"]
        carry = (data.rng(~s.set["Srcu-unlock"]) @ self.rf0_part).star()
        dl = data.rng(s.set["Srcu-unlock"])
        return (carry.dom(s.set["Srcu-lock"]) @ dl) & s.loc

    @let
    def po_unlock_lock_po(self) -> Bits:
        """``po ; [UL] ; (po|rf) ; [LKR] ; po``: ordering across a lock handover (the
        paper's ``po-unlock-rf-lock-po``, here also within one thread)."""
        s = self.s
        if not s.set["UL"] or not s.set["LKR"]:
            return s.nothing
        handover = (s.po | self.rf_part).dom(s.set["UL"]).rng(s.set["LKR"])
        return s.po.rng(s.set["UL"]) @ handover @ s.po

    @let
    def mb(self) -> Bits:
        """Full barriers: ``smp_mb``, fully ordered RMWs (as though enclosed in
        ``smp_mb``), and the ``smp_mb__*`` fences that upgrade the access they follow
        or precede.  (A clause whose fence kind the graph lacks is empty: skipped.)"""
        sk = self.s
        s, M, po, mb = sk.set, sk.M, sk.po, sk.Mb
        po_opt = po.opt()
        if mb:
            out = sk.fencerel(mb).dom(M).rng(M) | po.dom(M).rng(mb & sk.R)
            out |= po.dom(mb & sk.W).rng(M)
        else:
            out = sk.nothing
        if s["Before-atomic"]:
            out |= (sk.fencerel(s["Before-atomic"]).dom(M).rng(s["RMW"]) @ po_opt).rng(M)
        if s["After-atomic"]:
            out |= (po_opt.dom(M).rng(s["RMW"]) @ sk.fencerel(s["After-atomic"])).rng(M)
        if s["After-spinlock"]:
            out |= (po_opt.dom(M).rng(s["LKW"]) @ sk.fencerel(s["After-spinlock"])).rng(M)
        if s["After-unlock-lock"]:
            pulp = self.po_unlock_lock_po.dom(M).rng(s["After-unlock-lock"])
            out |= (pulp @ po).rng(M)
        if s["After-srcu-read-unlock"]:
            fences = sk.fencerel(s["After-srcu-read-unlock"])
            out |= (po_opt.dom(M).rng(s["Srcu-unlock"]) @ fences).rng(M)
        return out

    @let
    def strong_fence0(self) -> Bits:
        return (self.mb | self.s.gp).grouped()

    @let
    def nonrw_fence(self) -> Bits:
        return self.strong_fence0 | self.s.po_rel | self.s.acq_po

    @let
    def fence0(self) -> Bits:
        return self.nonrw_fence | self.s.wmb | self.s.rmb

    @let
    def dep_marked(self) -> Bits:
        """``(addr | data) ; [Marked]``: what ``ppo`` follows by ``rfi``."""
        return (self.addr | self.data).rng(self.s.Marked)

    @let
    def ppo0(self) -> Bits:
        """``ppo`` but its rf/co-dependent clauses ``overwrite & int`` and ``dep ;
        [Marked] ; rfi`` (see :attr:`LkmmRelations.ppo`)."""
        s = self.s
        out = self.fence0 & s.internal
        if s.sk.dep_pairs["addr"] or s.sk.dep_pairs["data"] or s.sk.dep_pairs["ctrl"]:
            rwdep = (self.addr | self.data | self.ctrl).rng(s.W)
            to_w = rwdep | (self.addr.rng(s.Plain) @ s.wmb)
            out |= to_w | self.addr.rng(s.R)
        if s.set["UL"]:
            out |= self.po_unlock_lock_po & s.internal
        return out

    @let
    def a_cumul_fences(self) -> Bits:
        """``(strong-fence | po-rel) ; [Marked]``: what ``A-cumul`` extends by ``rfe``."""
        return (self.strong_fence0 | self.s.po_rel).rng(self.s.Marked).grouped()

    @let
    def cumul_fence0(self) -> Bits:
        """``[Marked] ; (strong-fence | po-rel | wmb | po-unlock-lock-po) ; [Marked]``:
        ``cumul-fence`` before ``A-cumul``'s ``rfe`` and ``rmw-sequence``."""
        marked = self.s.Marked
        fences = self.strong_fence0 | self.s.po_rel | self.s.wmb | self.po_unlock_lock_po
        return fences.dom(marked).rng(marked)

    @let
    def cumul_fence0_star(self) -> Bits:
        return self.cumul_fence0.star()

    @let
    def cumul_fence_reads(self) -> int:
        """The reads whose rf ``cumul-fence`` follows: the marked ones ``A-cumul``
        extends a fence from, and those of RMWs (``rmw-sequence``)."""
        s = self.s
        return (self.a_cumul_fences.domain() & s.Marked) | s.rmw.domain()

    @let
    def cumul_fence_stars(self) -> dict[tuple[tuple[int, int], ...], Bits]:
        """``cumul-fence*`` of the graphs so far, by their rf into
        :attr:`cumul_fence_reads` (see ``LkmmRelations.cumul_fence_star``)."""
        return {}

    @let
    def w_pre_bounded(self) -> Bits:
        """``(addr | fence)? ; [Marked]`` of a graph without grace periods."""
        return (self.addr | self.fence0).opt().dom(self.s.Marked)

    @let
    def r_pre_bounded(self) -> Bits:
        s = self.s
        rmb = s.fencerel(s.set["Rmb"]).dom(s.R4rmb).rng(~s.Noreturn)
        return (self.addr | self.nonrw_fence | rmb).opt().dom(s.Marked)

    @let
    def r_post_bounded(self) -> Bits:
        s = self.s
        rmb = s.fencerel(s.set["Rmb"]).dom(~s.Noreturn).rng(s.R4rmb)
        return (self.nonrw_fence | rmb).opt().rng(s.Marked)

    @let
    def srcu_pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple(self.srcu_rscs.pairs())

    @let
    def srcu_flags(self) -> dict[str, bool]:
        """The bell's SRCU nesting flags (not ``srcu-bad-value-match``: values)."""
        s, srscs = self.s.set, self.srcu_rscs
        return {
            "unmatched-srcu-lock": bool(s["Srcu-lock"] & ~srscs.domain()),
            "unmatched-srcu-unlock": bool(s["Srcu-unlock"] & ~srscs.range()),
            "multiple-srcu-matches": bool(s["Srcu-lock"])
            and any(r & ~(1 << i) for i, r in enumerate((srscs.inv() @ srscs).rows)),
        }


class LkmmRelations:
    """linux-kernel.bell, lock.cat and linux-kernel.cat evaluated on one herd view.

    The lets that do not depend on rf or co are the skeleton's (``s``, a
    :class:`SkeletonRelations`), those that read only rf edges a skeleton's graphs
    nearly always share are ``f``'s (a :class:`FencedRelations`); the rest, here, are
    this graph's.  Each cached property is one ``let``; sets are bitmasks, relations
    :class:`Bits`.
    """

    def __init__(self, v: HerdView) -> None:
        self.v, self.n = v, v.n
        self.s = SkeletonRelations.of(v.skeleton)
        self.f = self.s.fenced(v.rf_source)

    # -- rf and co ---------------------------------------------------------------------
    @let
    def rf(self) -> Bits:
        """Final ``rf``: lock.cat's ``rf | rf-lf | rf-ru`` and the LKR edges, concrete."""
        rows = [0] * self.n
        for r, w in self.v.rf_source.items():
            rows[w] |= 1 << r
        return Bits(rows)

    @let
    def co(self) -> Bits:
        """The graph's coherence order, the initial write first (see herdview.py)."""
        return in_order(self.n, self.v.co_order.values())

    @let
    def fr(self) -> Bits:
        """``rf^-1 ; co``."""
        rows, co = [0] * self.n, self.co.rows
        for r, w in self.v.rf_source.items():
            rows[r] = co[w]
        return Bits(rows)

    @let
    def rfe(self) -> Bits:
        return self.rf & self.s.ext

    @let
    def rfi(self) -> Bits:
        return self.rf & self.s.internal

    # -- coherence and atomicity --------------------------------------------------------
    @let
    def com(self) -> list[int]:
        """The rows of ``com = rf | co | fr``."""
        return list(map(or_, map(or_, self.rf.rows, self.co.rows), self.fr.rows))

    @let
    def coherence_order(self) -> Bits:
        """``po-loc | com``, acyclic as ``coherence``: sequential consistency per
        variable (the paper's first axiom)."""
        return Bits(list(map(or_, self.s.po_loc.rows, self.com)))

    @let
    def sc_order(self) -> Bits:
        """``po | com``: acyclic exactly when the graph is an interleaving of its
        threads (Lamport's sequential consistency; Alglave et al.'s SC model)."""
        return Bits(list(map(or_, self.s.po.rows, self.com)))

    def atomic_violated(self) -> bool:
        """``empty rmw & (fre ; coe)``: no write of another thread comes between an
        RMW's read and its write in ``co`` (the paper's atomicity axiom)."""
        fr, co, ext = self.fr.rows, self.co.rows, self.s.ext.rows
        for r, ws in self.s.rmw_rows:
            coe = 0
            for x in members(fr[r] & ext[r]):
                coe |= co[x] & ext[x]
            if coe & ws:
                return True
        return False

    # -- preserved program order (the paper's ppo) ---------------------------------------
    @let
    def overwrite(self) -> Bits:
        return self.co | self.fr

    @let
    def ppo(self) -> Bits:
        """``to-r | to-w | (fence & int) | (po-unlock-lock-po & int)``, with ``to-r =
        addr ; [R] | (dep ; [Marked] ; rfi)`` and ``to-w = rwdep | (overwrite & int) |
        (addr ; [Plain] ; wmb)``: ``f.ppo0`` and the two clauses that read rf/co."""
        ow_int = map(and_, self.overwrite.rows, self.s.internal.rows)
        ppo = Bits(list(map(or_, self.f.ppo0.rows, ow_int)))
        if self.f.dep_marked.domain():
            return ppo | (self.f.dep_marked @ self.rfi)
        return ppo

    # -- the paper's happens-before and propagation axioms ------------------------------
    @let
    def rmw_sequence(self) -> Bits:
        """``(rf ; rmw)*``: a release heads the chain of RMWs that read from it."""
        return (self.rf @ self.s.rmw).star()

    @let
    def cumul_fence_rfe(self) -> Bits:
        """``[Marked] ; rfe ; [Marked] ; (strong-fence | po-rel) ; [Marked]``: the
        clauses of ``cumul-fence`` that ``A-cumul(r) = rfe? ; r`` adds (before
        ``rmw-sequence``); ``f.cumul_fence0`` holds the others."""
        marked, a_cumul = self.s.Marked, self.f.a_cumul_fences
        return Bits(
            [
                a_cumul.image(e & marked) if e & marked and marked >> i & 1 else 0
                for i, e in enumerate(self.rfe.rows)
            ]
        )

    @let
    def cumul_fence(self) -> Bits:
        """``[Marked] ; (A-cumul(strong-fence | po-rel) | wmb | po-unlock-lock-po) ;
        [Marked] ; rmw-sequence``: fences that order propagation of stores."""
        fences = self.f.cumul_fence0 | self.cumul_fence_rfe
        if not self.s.rmw_rows:
            return fences  # rmw-sequence is the identity
        return fences @ self.rmw_sequence

    @let
    def cumul_fence_star(self) -> Bits:
        """``cumul-fence*``.  It reads rf only into ``f.cumul_fence_reads`` (and of
        those ``A-cumul``'s only from other threads' marked writes), which the graphs of
        a skeleton often share: kept with ``f`` by those edges."""
        reads, marked, ext = self.f.cumul_fence_reads, self.s.Marked, self.s.ext.rows
        rmw_reads = self.s.rmw.domain()
        key = tuple(
            (w, r)
            for r, w in self.v.rf_source.items()
            if reads >> r & 1 and (rmw_reads >> r & 1 or (marked >> w & 1 and ext[w] >> r & 1))
        )
        stars = self.f.cumul_fence_stars
        star = stars.get(key)
        if star is None:
            if not self.s.rmw_rows and self.cumul_fence_rfe.empty():
                star = self.f.cumul_fence0_star  # cumul-fence is the skeleton's cumul_fence0
            else:
                star = self.cumul_fence.star()
            if len(stars) >= 64:
                stars.clear()
            stars[key] = star
        return star

    @let
    def prop(self) -> Bits:
        """``[Marked] ; (overwrite & ext)? ; cumul-fence* ; [Marked] ; rfe? ;
        [Marked]``: a store propagating to a CPU ahead of another event."""
        marked, rfe, cfs = self.s.Marked, self.rfe.rows, self.cumul_fence_star.rows
        reads_from = self.rfe.domain()
        rows = []
        # (Bits.image inlined: this loop is a good part of checking a graph.)
        for i, (ow, ext) in enumerate(zip(self.overwrite.rows, self.s.ext.rows, strict=True)):
            if not marked >> i & 1:
                rows.append(0)
                continue
            fenced = cfs[i]  # cumul-fence* is reflexive and transitive (see image())
            todo = ow & ext & ~fenced
            while todo:
                low = todo & -todo
                reach = cfs[low.bit_length() - 1]
                fenced |= reach
                todo = (todo ^ low) & ~reach
            fenced &= marked
            out, todo = fenced, fenced & reads_from
            while todo:
                low = todo & -todo
                out |= rfe[low.bit_length() - 1]
                todo ^= low
            rows.append(out & marked)
        return Bits(rows)

    @let
    def hb(self) -> Bits:
        """``[Marked] ; (ppo | rfe | ((prop \\ id) & int)) ; [Marked]``: one event must
        execute before another; acyclic as ``happens-before``."""
        marked, rows = self.s.Marked, (self.ppo.rows, self.rfe.rows, self.prop.rows)
        return Bits(
            [
                (a | b | c & internal & ~(1 << i)) & marked if marked >> i & 1 else 0
                for i, (a, b, c, internal) in enumerate(
                    zip(*rows, self.s.internal.rows, strict=True)
                )
            ]
        )

    @let
    def hb_plus(self) -> Bits:
        return self.hb.plus()

    @let
    def hb_star(self) -> Bits:
        return self.hb_plus.opt()

    @let
    def pb(self) -> Bits:
        """``prop ; strong-fence ; hb* ; [Marked]``: a store propagates before a strong
        fence completes; acyclic as ``propagation`` (empty without strong fences)."""
        if self.f.strong_fence0.empty():
            return Bits([0] * self.n)
        return (self.prop @ self.f.strong_fence0 @ self.hb_star).rng(self.s.Marked)

    @let
    def pb_plus(self) -> Bits:
        return self.pb.plus()

    @let
    def pb_star(self) -> Bits:
        return self.pb_plus.opt()

    # -- the paper's RCU axiom (grace periods, read-side critical sections) -------------
    @let
    def rcu_link(self) -> Bits:
        """``po? ; hb* ; pb* ; prop ; po``, on the rows that can follow a grace period
        or a read-side critical section (a grace period or a lock event)."""
        s = self.s
        starts = s.grace_periods | s.set["Rcu-lock"] | s.set["Srcu-lock"]
        return s.po.opt().dom(starts) @ self.hb_star @ self.pb_star @ self.prop @ s.po

    @let
    def rcu_order(self) -> Bits:
        """The least fixpoint of linux-kernel.cat's ``rcu-order``: sequences of grace
        periods and critical sections (joined by ``rcu-link``) with at least as many
        grace periods as critical sections; SRCU ones on the same srcu_struct."""
        n, link, loc = self.n, self.rcu_link, self.s.loc
        gp = Bits.identity(n, self.s.set["Sync-rcu"])
        sgp = Bits.identity(n, self.s.set["Sync-srcu"])
        rscsi, srscsi = self.s.rcu_rscs.inv(), self.f.srcu_rscs.inv()
        base = (
            gp | sgp
            | (gp @ link @ rscsi) | ((sgp @ link @ srscsi) & loc)
            | (rscsi @ link @ gp) | ((srscsi @ link @ sgp) & loc)
        )  # fmt: skip
        order = base
        while True:
            inner = link @ order @ link
            grown = (
                base
                | (gp @ inner @ rscsi) | ((sgp @ inner @ srscsi) & loc)
                | (rscsi @ inner @ gp) | ((srscsi @ inner @ sgp) & loc)
                | (order @ link @ order)
            )  # fmt: skip
            if grown.rows == order.rows:
                return order
            order = grown

    @let
    def rcu_fence(self) -> Bits:
        if not self.s.grace_periods:
            return Bits([0] * self.n)
        return self.s.po @ self.rcu_order @ self.s.po.opt()

    @let
    def rb(self) -> Bits:
        """``prop ; rcu-fence ; hb* ; pb* ; [Marked]``: irreflexive as ``rcu`` (a
        read-side critical section cannot span a grace period)."""
        if self.rcu_fence.empty():
            return Bits([0] * self.n)
        return (self.prop @ self.rcu_fence @ self.hb_star @ self.pb_star).rng(self.s.Marked)

    @let
    def fence(self) -> Bits:
        if not self.s.grace_periods:
            return self.f.fence0  # rcu-fence is empty
        return self.f.fence0 | self.rcu_fence

    @let
    def strong_fence(self) -> Bits:
        if not self.s.grace_periods:
            return self.f.strong_fence0
        return self.f.strong_fence0 | self.rcu_fence

    # -- plain accesses and data races: not in the paper; added to the LKMM in 2019 (A.
    # Stern; tools/memory-model/Documentation/explanation.txt, "PLAIN ACCESSES AND DATA
    # RACES").  Plain accesses are outside hb/pb/rb; these rules bound them by fences
    # and marked accesses instead. -------------------------------------------------------
    @let
    def xbstar(self) -> Bits:
        """``(hb | pb | rb)*``: executes-before."""
        if self.pb.empty() and self.rb.empty():
            return self.hb_star
        return (self.hb | self.pb | self.rb).star()

    def vis(self, events: int) -> int:
        """The image of ``events`` under ``vis = cumul-fence* ; rfe? ; [Marked] ;
        ((strong-fence ; [Marked] ; xbstar) | (xbstar & int))``: what a store is visible
        to.  (Only a few rows are ever needed: see ``ww_vis``.)"""
        marked = self.s.Marked
        head = self.cumul_fence_star.image(events)
        head = (head | self.rfe.image(head)) & marked
        return self.xbstar.image(self._strong_fence_m.image(head)) | self._xbstar_int.image(head)

    @let
    def _strong_fence_m(self) -> Bits:
        return self.strong_fence.rng(self.s.Marked)

    @let
    def _xbstar_int(self) -> Bits:
        return self.xbstar & self.s.internal

    @let
    def w_pre_bounded(self) -> Bits:
        if not self.s.grace_periods:
            return self.f.w_pre_bounded  # rcu-fence is empty
        return (self.f.addr | self.fence).opt().dom(self.s.Marked)

    @let
    def w_post_bounded(self) -> LazyRows:
        """``fence? ; [Marked] ; rmw-sequence``, row by row (see ``_visibility``)."""
        fence, marked, chains = self.fence.rows, self.s.Marked, self.rmw_sequence
        return LazyRows(lambda a: chains.image((fence[a] | 1 << a) & marked))

    def _visibility(self, pre: Bits) -> LazyRows:
        """``fence | (strong-fence ; xbstar ; pre) | (w-post-bounded ; vis ; pre)``."""
        fence, strong, xbstar, post = (
            self.fence,
            self.strong_fence,
            self.xbstar,
            self.w_post_bounded,
        )

        def row(a: int) -> int:
            via_xb = pre.image(xbstar.image(strong.rows[a]))
            return fence.rows[a] | via_xb | pre.image(self.vis(post[a]))

        return LazyRows(row)

    @let
    def ww_vis(self) -> LazyRows:
        return self._visibility(self.w_pre_bounded)

    @let
    def wr_vis(self) -> LazyRows:
        return self._visibility(self.f.r_pre_bounded)

    @let
    def rw_xbstar(self) -> LazyRows:
        """``fence | (r-post-bounded ; xbstar ; w-pre-bounded)``."""
        fence, post, xbstar = self.fence, self.f.r_post_bounded, self.xbstar
        pre = self.w_pre_bounded
        return LazyRows(lambda a: fence.rows[a] | pre.image(xbstar.image(post.rows[a])))

    def conflicts(self, rel: Bits) -> Iterator[tuple[int, int]]:
        """The pairs of ``rel`` that are in ``pre-race = ext & ((Plain * M) | ((M \\ IW)
        * Plain))``."""
        s = self.s
        plain, m, ext = s.Plain, s.M, s.ext.rows
        m_not_iw = m & ~s.set["IW"]
        for a, row in enumerate(rel.rows):
            if not row:
                continue
            # the b with (a, b) in pre-race
            near = (m if plain >> a & 1 else 0) | (plain if m_not_iw >> a & 1 else 0)
            for b in members(row & ext[a] & near):
                yield a, b

    def plain_incoherent(self) -> bool:
        """``wr-incoh | rw-incoh | ww-incoh``: a plain access against the coherence of
        the accesses that bound it."""
        if not self.s.Plain:
            return False
        if any(self.rw_xbstar[r] >> w & 1 for w, r in self.conflicts(self.rf)):
            return True
        if any(self.wr_vis[w] >> r & 1 for r, w in self.conflicts(self.fr)):
            return True
        return any(self.ww_vis[w2] >> w1 & 1 for w1, w2 in self.conflicts(self.co))

    def races(self) -> list[tuple[int, int, str]]:
        """``ww-race``, ``wr-race``, ``rw-race`` pairs (view events)."""
        if not self.s.Plain:
            return []
        out = [(a, b, "ww-race") for a, b in self.conflicts(self.co) if not self._ww_nonrace(a, b)]
        co_rf = self.co.opt() @ self.rf
        out += [
            (w, r, "wr-race")
            for w, r in self.conflicts(co_rf)
            if not self.wr_vis[w] >> r & 1 and not self.rw_xbstar[r] >> w & 1
        ]
        out += [
            (r, w, "rw-race") for r, w in self.conflicts(self.fr) if not self.rw_xbstar[r] >> w & 1
        ]
        return out

    def _ww_nonrace(self, a: int, b: int) -> bool:
        """``ww-vis & ((Marked * W) | rw-xbstar) & ((W * Marked) | wr-vis)``."""
        marked, w = self.s.Marked, self.s.W
        if not self.ww_vis[a] >> b & 1:
            return False
        first = bool(marked >> a & 1 and w >> b & 1) or bool(self.rw_xbstar[a] >> b & 1)
        return first and (bool(w >> a & 1 and marked >> b & 1) or bool(self.wr_vis[a] >> b & 1))

    # -- axioms and flags ---------------------------------------------------------------
    def violated(self, interleavings_first: bool = True) -> str | None:
        """The first axiom that fails, in herd7's order (lock.cat's first), each
        checked only once those before it hold (most graphs fail early or pass).
        ``interleavings_first``: answer an SC-consistent graph without working out
        ``hb`` and ``pb`` (tests compare with False: every axiom asked)."""
        lock = self.s.lock_violation
        if lock is not None:
            return lock
        if interleavings_first and not self.s.grace_periods and self.sc_order.acyclic():
            # An interleaving: ``coherence`` holds (po-loc is in po), and every relation
            # ``happens-before``, ``propagation`` and ``plain-coherence`` constrain is
            # made of po, rf, co, fr and fences (which are in po), so is in
            # ``(po | com)+``; without grace periods ``rb`` is empty.  The LKMM allows
            # every SC execution (Alglave et al., ASPLOS 2018, section 3); atomicity is
            # the one axiom left to ask.
            return "atomic" if self.atomic_violated() else None
        if not self.coherence_order.acyclic():
            return "coherence"
        if self.atomic_violated():
            return "atomic"
        if not self.hb.acyclic():  # hb+ irreflexive
            return "happens-before"
        if not self.pb.acyclic():
            return "propagation"
        if self.s.grace_periods and self.rb.reflexive_at():
            return "rcu"  # (rb is empty without grace periods)
        if self.plain_incoherent():
            return "plain-coherence"
        return None

    def cycle_of(self, axiom: str) -> list[int] | None:
        """A cycle of the relation an acyclicity axiom constrains, or for ``rcu`` a
        witness of ``rb``'s reflexivity: an event ``a``, the event ``prop`` takes it to,
        and where ``rcu-fence`` takes that one (``a`` comes back by ``hb* ; pb*``)."""
        if axiom == "rcu":
            return self._rcu_witness()
        if axiom == "coherence":
            return self.coherence_order.find_cycle()
        return (self.hb if axiom == "happens-before" else self.pb).find_cycle()

    def _rcu_witness(self) -> list[int] | None:
        back = (self.hb_star @ self.pb_star).inv()  # events each event is reached from
        for a in members(self.rb.reflexive_at()):
            for b in members(self.prop.rows[a]):
                for c in members(self.rcu_fence.rows[b]):
                    if back.rows[a] >> c & 1:
                        return list(dict.fromkeys((a, b, c)))
        return None

    def flags(self) -> tuple[str, ...]:
        """The flags raised, in file order (bell, lock.cat, linux-kernel.cat)."""
        sk, srcu = self.s.skeleton_flags, self.f.srcu_flags
        srcu_pairs = self.f.srcu_pairs
        values = self.v.values if srcu_pairs else {}
        raised = {
            "unmatched-rcu-lock": sk["unmatched-rcu-lock"],
            "unmatched-rcu-unlock": sk["unmatched-rcu-unlock"],
            "unmatched-srcu-lock": srcu["unmatched-srcu-lock"],
            "unmatched-srcu-unlock": srcu["unmatched-srcu-unlock"],
            "multiple-srcu-matches": srcu["multiple-srcu-matches"],
            "invalid-sleep": sk["invalid-sleep"],
            "srcu-bad-value-match": any(values.get(a) != values.get(b) for a, b in srcu_pairs),
            "mixed-lock-accesses": sk["mixed-lock-accesses"],
            "unpaired-LKW": sk["unpaired-LKW"],
            "unpaired-LKR": sk["unpaired-LKR"],
            "unmatched-unlock": sk["unmatched-unlock"],
            "mixed-accesses": sk["mixed-accesses"],
            "data-race": bool(self.races()),
        }
        return tuple(name for name, hit in raised.items() if hit)


class LKMM:
    """The Linux-kernel memory model: :class:`~pagerace.models.base.MemoryModel` plus
    herd7's flags, the racing pairs behind ``data-race``, and cycle explanations.

    The relations of the last graph asked about are kept, so ``flags(g)`` or
    ``races(g)`` right after ``violation(g)`` reuse its work (graphs are not mutated).
    """

    name = "lkmm"
    interleaving = False
    porf_cycles = True  # load buffering: po | rf may be cyclic
    coherent = True  # the coherence axiom (see MemoryModel)
    sinks = True  # an event with no edge out of it keeps a graph consistent (see MemoryModel)

    def __init__(self) -> None:
        self._last: tuple[ExecutionGraph, LkmmRelations] | None = None

    def relations(self, g: ExecutionGraph) -> LkmmRelations:
        """Every set and relation of the model on ``g`` (for explanations and tests)."""
        if self._last is None or self._last[0] is not g:
            self._last = (g, LkmmRelations(herd_view(g)))
        return self._last[1]

    def violation(self, g: ExecutionGraph) -> str | None:
        """The first violated axiom, by its cat name, or None if ``g`` is consistent."""
        return self.relations(g).violated()

    def flags(self, g: ExecutionGraph) -> tuple[str, ...]:
        """The flags herd7 would print (``Flag data-race``); meaningful on complete
        graphs only (herd7 reports them for consistent executions)."""
        return self.relations(g).flags()

    def races(self, g: ExecutionGraph) -> list[tuple[int, int, str]]:
        """The pairs behind ``data-race``, as ``(eid, eid, kind)`` of ``g``'s events, kind
        ``ww-race``, ``wr-race`` or ``rw-race`` (first access as in the cat relation)."""
        rel = self.relations(g)
        origin = rel.v.origin
        return sorted({(origin[a], origin[b], kind) for a, b, kind in rel.races()})

    def cycle(self, g: ExecutionGraph) -> list[int] | None:
        """The events (``g``'s eids, in order) of a cycle that breaks ``coherence``,
        ``happens-before`` or ``propagation``, or for ``rcu`` the events of an ``rb``
        loop (see :meth:`LkmmRelations.cycle_of`); None when ``g`` breaks none of these.
        The two halves of an RMW are one event of ``g``; initial writes are left out."""
        rel = self.relations(g)
        axiom = rel.violated()
        if axiom not in ("coherence", "happens-before", "propagation", "rcu"):
            return None
        cycle = rel.cycle_of(axiom)
        assert cycle is not None, f"[pagerace internal bug] {axiom} fails with no cycle"
        eids = [rel.v.origin[e] for e in cycle if e in rel.v.origin]
        eids = [e for i, e in enumerate(eids) if i == 0 or e != eids[i - 1]]
        return eids[:-1] if len(eids) > 1 and eids[-1] == eids[0] else eids
