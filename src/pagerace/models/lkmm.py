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

Speed: relations are :class:`Bits`, one bitmask of successors per event, so a
composition costs one big-integer OR per related pair and a closure is Warshall's algorithm
over bitmask rows; ``pb``, ``rb`` and the plain-access relations are only built when a
graph has strong fences, grace periods or plain accesses, and ``ww-vis``, ``wr-vis``
and ``rw-xbstar`` row by row, at the events of candidate races only.  A check costs
about 0.5 ms on a litmus test's graph and 5-10 ms on a kernel scenario's (150 events).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from itertools import pairwise

from pagerace.graph.graph import ExecutionGraph
from pagerace.graph.relation import Relation
from pagerace.models.herdview import HerdView, herd_view


def mask_of(events: Iterable[int]) -> int:
    m = 0
    for e in events:
        m |= 1 << e
    return m


def members(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Bits:
    """A relation over events ``0..n-1``: ``rows[a]`` is the bitmask of ``a``'s
    successors.  Operators as :class:`~pagerace.graph.relation.Relation` (cat's)."""

    __slots__ = ("_busy", "_reflexive", "rows")

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows
        self._busy = -1  # computed on first image(): see there
        self._reflexive = 0

    @staticmethod
    def of_pairs(n: int, pairs: Iterable[tuple[int, int]]) -> Bits:
        rows = [0] * n
        for a, b in pairs:
            rows[a] |= 1 << b
        return Bits(rows)

    @staticmethod
    def identity(n: int, mask: int) -> Bits:
        """``[S]``."""
        return Bits([1 << i if mask >> i & 1 else 0 for i in range(n)])

    def __or__(self, other: Bits) -> Bits:
        return Bits([a | b for a, b in zip(self.rows, other.rows, strict=True)])

    def __and__(self, other: Bits) -> Bits:
        return Bits([a & b for a, b in zip(self.rows, other.rows, strict=True)])

    def __sub__(self, other: Bits) -> Bits:
        return Bits([a & ~b for a, b in zip(self.rows, other.rows, strict=True)])

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
        those are answered with one mask, and only the other rows are visited."""
        if self._busy < 0:
            self._split_rows()
        out = mask & self._reflexive
        mask &= self._busy
        rows = self.rows
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

    def dom(self, mask: int) -> Bits:
        """``[S] ; r``."""
        return Bits([r if mask >> i & 1 else 0 for i, r in enumerate(self.rows)])

    def rng(self, mask: int) -> Bits:
        """``r ; [S]``."""
        return Bits([r & mask for r in self.rows])

    def opt(self) -> Bits:
        """``r?``."""
        return Bits([r | 1 << i for i, r in enumerate(self.rows)])

    def inv(self) -> Bits:
        out = [0] * len(self.rows)
        for a, r in enumerate(self.rows):
            for b in members(r):
                out[b] |= 1 << a
        return Bits(out)

    def plus(self) -> Bits:
        """``r+`` (Warshall; only events with both a predecessor and a successor can be
        in the middle of a path)."""
        rows = self.rows
        into = outof = 0
        for i, r in enumerate(rows):
            into |= r
            if r:
                outof |= 1 << i
        for k in members(into & outof):
            rk, bit = rows[k], 1 << k
            rows = [r | rk if r & bit else r for r in rows]
        return Bits(rows)

    def star(self) -> Bits:
        return self.plus().opt()

    def acyclic(self) -> bool:
        """No cycle: peel off, round by round, the events with no successor left."""
        rows = self.rows
        live = self.domain()
        while live:
            sinks = 0
            for i in members(live):
                if not rows[i] & live:
                    sinks |= 1 << i
            if not sinks:
                return False
            live &= ~sinks
        return True

    def domain(self) -> int:
        return mask_of(i for i, r in enumerate(self.rows) if r)

    def range(self) -> int:
        out = 0
        for r in self.rows:
            out |= r
        return out

    def empty(self) -> bool:
        return not any(self.rows)

    def reflexive_at(self) -> int:
        """The events ``a`` with ``(a, a)`` in the relation."""
        return mask_of(i for i, r in enumerate(self.rows) if r >> i & 1)

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


class LkmmRelations:
    """linux-kernel.bell, lock.cat and linux-kernel.cat evaluated on one herd view.

    Each cached property is one ``let`` (the latest binding of a redefined name is the
    plain name; an earlier one carries a suffix, e.g. ``fence0`` before ``rcu-fence`` is
    added).  Sets are bitmasks, relations :class:`Bits`.
    """

    def __init__(self, v: HerdView) -> None:
        self.v, self.n = v, v.n
        self.all = (1 << v.n) - 1
        self.set = {name: mask_of(s) for name, s in v.sets.items()}

    def _rel(self, pairs: Iterable[tuple[int, int]]) -> Bits:
        return Bits.of_pairs(self.n, pairs)

    def fencerel(self, fences: int) -> Bits:
        """``fencerel(S) = (po & (_ * S)) ; po``: per thread, the events after the first
        ``S`` event po-after each event."""
        rows, po = [0] * self.n, self.po.rows
        for evs in self.v.threads:
            after = 0
            for e in reversed(evs):
                rows[e] = after
                if fences >> e & 1:
                    after = po[e]
        return Bits(rows)

    # -- base relations (herd's built-ins, made concrete) --------------------------------
    def _in_order(self, sequences: Iterable[tuple[int, ...]]) -> Bits:
        """Each event to the events after it in its sequence."""
        rows = [0] * self.n
        for seq in sequences:
            after = 0
            for e in reversed(seq):
                rows[e] = after
                after |= 1 << e
        return Bits(rows)

    @cached_property
    def po(self) -> Bits:
        return self._in_order(self.v.threads)

    @cached_property
    def internal(self) -> Bits:
        """cat's ``int``: same thread; initial writes are in none (``same_proc_not_init``)."""
        rows = [0] * self.n
        for evs in self.v.threads:
            m = mask_of(evs)
            for e in evs:
                rows[e] = m
        return Bits(rows)

    @cached_property
    def ext(self) -> Bits:
        rows = self.internal.rows
        return Bits([self.all & ~(r | 1 << i) for i, r in enumerate(rows)])

    @cached_property
    def loc(self) -> Bits:
        by_loc: dict[str, int] = {}
        for e, x in self.v.loc.items():
            by_loc[x] = by_loc.get(x, 0) | 1 << e
        return Bits([by_loc[self.v.loc[e]] if e in self.v.loc else 0 for e in range(self.n)])

    @cached_property
    def po_loc(self) -> Bits:
        return self.po & self.loc

    @cached_property
    def rf(self) -> Bits:
        """Final ``rf``: lock.cat's ``rf | rf-lf | rf-ru`` and the LKR edges, concrete."""
        return self._rel((w, r) for r, w in self.v.rf_source.items())

    @cached_property
    def rf0(self) -> Bits:
        """herd's built-in ``rf``, the bell's: reads of the base ``R`` only."""
        return self.rf.rng(self.set["R"])

    @cached_property
    def co(self) -> Bits:
        """The graph's coherence order, the initial write first (see herdview.py)."""
        return self._in_order(self.v.co_order.values())

    @cached_property
    def fr(self) -> Bits:
        """``rf^-1 ; co``."""
        rows = [0] * self.n
        for r, w in self.v.rf_source.items():
            rows[r] = self.co.rows[w]
        return Bits(rows)

    @cached_property
    def rfe(self) -> Bits:
        return self.rf & self.ext

    @cached_property
    def rfi(self) -> Bits:
        return self.rf & self.internal

    def dep0(self, kind: str) -> Bits:
        return self._rel(self.v.dep_pairs[kind])

    # -- linux-kernel.bell -------------------------------------------------------------
    @cached_property
    def rmw0(self) -> Bits:
        return self._rel(self.v.rmw_pairs)

    @cached_property
    def FailedRMW(self) -> int:  # noqa: N802 - the bell's name
        return self.set["RMW"] & ~(self.rmw0.domain() | self.rmw0.range())

    @cached_property
    def Mb(self) -> int:  # noqa: N802
        return self.set["MB"] & ~self.FailedRMW

    @cached_property
    def Noreturn(self) -> int:  # noqa: N802
        return self.set["NORETURN"] & ~self.set["W"]

    @cached_property
    def Acquire(self) -> int:  # noqa: N802
        """The bell's ``ACQUIRE \\ W \\ FailedRMW``, plus lock.cat's ``LKR``."""
        return (self.set["ACQUIRE"] & ~self.set["W"] & ~self.FailedRMW) | self.set["LKR"]

    @cached_property
    def Release(self) -> int:  # noqa: N802
        """The bell's ``RELEASE \\ R \\ FailedRMW``, plus lock.cat's ``UL``."""
        return (self.set["RELEASE"] & ~self.set["R"] & ~self.FailedRMW) | self.set["UL"]

    @cached_property
    def rcu_rscs(self) -> Bits:
        """Matching ``rcu_read_lock``/``rcu_read_unlock`` pairs.  The bell's recursive
        definition (an unmatched lock meets the next unmatched unlock with no unmatched
        event between) is bracket matching, done here with a stack per thread."""
        pairs = []
        lock, unlock = self.set["Rcu-lock"], self.set["Rcu-unlock"]
        for evs in self.v.threads:
            open_: list[int] = []
            for e in evs:
                if lock >> e & 1:
                    open_.append(e)
                elif unlock >> e & 1 and open_:
                    pairs.append((open_.pop(), e))
        return self._rel(pairs)

    @cached_property
    def srcu_rscs(self) -> Bits:
        """``([Srcu-lock] ; carry-srcu-data ; data ; [Srcu-unlock]) & loc``: the index a
        ``srcu_read_lock`` returned, carried through stores and loads, reaches the
        ``srcu_read_unlock`` of the same srcu_struct."""
        data = self.dep0("data")
        carry = (data.rng(~self.set["Srcu-unlock"]) @ self.rf0).star()
        dl = data.rng(self.set["Srcu-unlock"])
        return (carry.dom(self.set["Srcu-lock"]) @ dl) & self.loc

    @cached_property
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

    @cached_property
    def Plain(self) -> int:  # noqa: N802
        return self.set["M"] & ~self.Marked

    @cached_property
    def carry_dep(self) -> Bits:
        """``(data ; [~Srcu-unlock] ; rfi)*``: dependencies carried through plain
        stores and loads (the bell redefines ``addr``/``data``/``ctrl`` with it)."""
        rfi0 = self.rf0 & self.internal
        return (self.dep0("data").rng(~self.set["Srcu-unlock"]) @ rfi0).star()

    @cached_property
    def addr(self) -> Bits:
        return self.carry_dep @ self.dep0("addr")

    @cached_property
    def data(self) -> Bits:
        return self.carry_dep @ self.dep0("data")

    @cached_property
    def ctrl(self) -> Bits:
        return self.carry_dep @ self.dep0("ctrl")

    # -- lock.cat ----------------------------------------------------------------------
    @cached_property
    def LF(self) -> int:  # noqa: N802
        """``LF | RL``: a read-locked ``spin_is_locked`` is a failed lock attempt."""
        return self.set["LF"] | self.set["RL"]

    @cached_property
    def ALL_LOCKS(self) -> int:  # noqa: N802
        s = self.set
        return s["LKR"] | s["LKW"] | s["UL"] | self.LF | s["RU"] | s["SRCU"]

    @cached_property
    def lk_rmw(self) -> Bits:
        """``([LKR] ; po-loc ; [LKW]) \\ (po ; po)``: an ``LKR`` and the ``LKW`` right
        after it in ``po`` on the same lock (the two halves of one acquisition)."""
        lkr, lkw, loc = self.set["LKR"], self.set["LKW"], self.v.loc
        return self._rel(
            (a, b)
            for evs in self.v.threads
            for a, b in pairwise(evs)
            if lkr >> a & 1 and lkw >> b & 1 and loc[a] == loc[b]
        )

    @cached_property
    def rmw(self) -> Bits:
        return self.rmw0 | self.lk_rmw

    @cached_property
    def R(self) -> int:  # noqa: N802
        return self.set["R"] | self.set["LKR"] | self.LF | self.set["RU"]

    @cached_property
    def W(self) -> int:  # noqa: N802
        """``W | LKW``, and ``UL`` once co is generated."""
        return self.set["W"] | self.set["LKW"] | self.set["UL"]

    @cached_property
    def M(self) -> int:  # noqa: N802
        return self.R | self.W

    def _nested(self, kinds: int) -> Bits:
        """``([LKW] ; po-loc ; [kinds]) \\ (po-loc ; [UL] ; po-loc)``: ``kinds`` events
        inside a critical section of the same lock."""
        inside = self.po_loc.dom(self.set["LKW"]).rng(kinds)
        if inside.empty():
            return inside
        return inside - (self.po_loc.rng(self.set["UL"]) @ self.po_loc)

    @cached_property
    def critical(self) -> Bits:
        """A lock's ``LKW`` to the ``UL`` that ends its critical section."""
        s = self.set
        between = self.po_loc.rng(s["LKW"] | s["UL"]) @ self.po_loc
        return self.po_loc.dom(s["LKW"]).rng(s["UL"]) - between

    @cached_property
    def UNMATCHED_LKW(self) -> int:  # noqa: N802
        return self.set["LKW"] & ~self.critical.domain()

    # -- linux-kernel.cat: basic relations ---------------------------------------------
    @cached_property
    def acq_po(self) -> Bits:
        return self.po.dom(self.Acquire).rng(self.M)

    @cached_property
    def po_rel(self) -> Bits:
        return self.po.dom(self.M).rng(self.Release)

    @cached_property
    def po_unlock_lock_po(self) -> Bits:
        """``po ; [UL] ; (po|rf) ; [LKR] ; po``: ordering across a lock handover (the
        paper's ``po-unlock-rf-lock-po``, here also within one thread)."""
        handover = (self.po | self.rf).dom(self.set["UL"]).rng(self.set["LKR"])
        return self.po.rng(self.set["UL"]) @ handover @ self.po

    @cached_property
    def R4rmb(self) -> int:  # noqa: N802
        return self.R & ~self.Noreturn

    @cached_property
    def rmb(self) -> Bits:
        return self.fencerel(self.set["Rmb"]).dom(self.R4rmb).rng(self.R4rmb)

    @cached_property
    def wmb(self) -> Bits:
        return self.fencerel(self.set["Wmb"]).dom(self.W).rng(self.W)

    @cached_property
    def mb(self) -> Bits:
        """Full barriers: ``smp_mb``, fully ordered RMWs (as though enclosed in
        ``smp_mb``), and the ``smp_mb__*`` fences that upgrade the access they follow
        or precede.  (A clause whose fence kind the graph lacks is empty: skipped.)"""
        s, M, po, mb = self.set, self.M, self.po, self.Mb
        po_opt = po.opt()
        out = self.fencerel(mb).dom(M).rng(M) | po.dom(M).rng(mb & self.R)
        out |= po.dom(mb & self.W).rng(M)
        if s["Before-atomic"]:
            out |= (self.fencerel(s["Before-atomic"]).dom(M).rng(s["RMW"]) @ po_opt).rng(M)
        if s["After-atomic"]:
            out |= (po_opt.dom(M).rng(s["RMW"]) @ self.fencerel(s["After-atomic"])).rng(M)
        if s["After-spinlock"]:
            out |= (po_opt.dom(M).rng(s["LKW"]) @ self.fencerel(s["After-spinlock"])).rng(M)
        if s["After-unlock-lock"]:
            pulp = self.po_unlock_lock_po.dom(M).rng(s["After-unlock-lock"])
            out |= (pulp @ po).rng(M)
        if s["After-srcu-read-unlock"]:
            fences = self.fencerel(s["After-srcu-read-unlock"])
            out |= (po_opt.dom(M).rng(s["Srcu-unlock"]) @ fences).rng(M)
        return out

    @cached_property
    def gp(self) -> Bits:
        """``po ; [Sync-rcu | Sync-srcu] ; po?``: grace periods."""
        return self.po.rng(self.set["Sync-rcu"] | self.set["Sync-srcu"]) @ self.po.opt()

    @cached_property
    def strong_fence0(self) -> Bits:
        return self.mb | self.gp

    @cached_property
    def nonrw_fence(self) -> Bits:
        return self.strong_fence0 | self.po_rel | self.acq_po

    @cached_property
    def fence0(self) -> Bits:
        return self.nonrw_fence | self.wmb | self.rmb

    @cached_property
    def barrier(self) -> Bits:
        s = self.set
        fences = (
            s["Barrier"] | s["Rmb"] | s["Wmb"] | self.Mb | s["Sync-rcu"] | s["Sync-srcu"]
            | s["Before-atomic"] | s["After-atomic"] | self.Acquire | self.Release
            | s["Rcu-lock"] | s["Rcu-unlock"] | s["Srcu-lock"] | s["Srcu-unlock"]
        )  # fmt: skip
        return self.fencerel(fences) | self.po.rng(self.Release) | self.po.dom(self.Acquire)

    # -- coherence and atomicity --------------------------------------------------------
    @cached_property
    def com(self) -> Bits:
        return self.rf | self.co | self.fr

    def atomic_violated(self) -> bool:
        """``empty rmw & (fre ; coe)``: no write of another thread comes between an
        RMW's read and its write in ``co`` (the paper's atomicity axiom)."""
        rmw = self.rmw
        fre = (self.fr & self.ext).dom(rmw.domain())
        return not (rmw & (fre @ (self.co & self.ext))).empty()

    # -- preserved program order (the paper's ppo) ---------------------------------------
    @cached_property
    def overwrite(self) -> Bits:
        return self.co | self.fr

    @cached_property
    def ppo(self) -> Bits:
        dep = self.addr | self.data
        rwdep = (dep | self.ctrl).rng(self.W)
        to_w = rwdep | (self.overwrite & self.internal) | (self.addr.rng(self.Plain) @ self.wmb)
        to_r = self.addr.rng(self.R) | (dep.rng(self.Marked) @ self.rfi)
        return (
            to_r | to_w | (self.fence0 & self.internal) | (self.po_unlock_lock_po & self.internal)
        )

    # -- the paper's happens-before and propagation axioms ------------------------------
    @cached_property
    def rmw_sequence(self) -> Bits:
        """``(rf ; rmw)*``: a release heads the chain of RMWs that read from it."""
        return (self.rf @ self.rmw).star()

    @cached_property
    def cumul_fence(self) -> Bits:
        """``[Marked] ; (A-cumul(strong-fence | po-rel) | wmb | po-unlock-lock-po) ;
        [Marked] ; rmw-sequence``: fences that order propagation of stores."""
        a_cumul = self.rfe.rng(self.Marked).opt() @ (self.strong_fence0 | self.po_rel)
        fences = (a_cumul | self.wmb | self.po_unlock_lock_po).dom(self.Marked)
        return fences.rng(self.Marked) @ self.rmw_sequence

    @cached_property
    def cumul_fence_star(self) -> Bits:
        return self.cumul_fence.star()

    @cached_property
    def prop(self) -> Bits:
        """``[Marked] ; (overwrite & ext)? ; cumul-fence* ; [Marked] ; rfe? ;
        [Marked]``: a store propagating to a CPU ahead of another event."""
        start = (self.overwrite & self.ext).opt().dom(self.Marked)
        fenced = (start @ self.cumul_fence_star).rng(self.Marked)
        return (fenced @ self.rfe.opt()).rng(self.Marked)

    @cached_property
    def hb(self) -> Bits:
        """``[Marked] ; (ppo | rfe | ((prop \\ id) & int)) ; [Marked]``: one event must
        execute before another; acyclic as ``happens-before``."""
        prop_int = Bits([r & ~(1 << i) for i, r in enumerate(self.prop.rows)]) & self.internal
        return (self.ppo | self.rfe | prop_int).dom(self.Marked).rng(self.Marked)

    @cached_property
    def hb_plus(self) -> Bits:
        return self.hb.plus()

    @cached_property
    def hb_star(self) -> Bits:
        return self.hb_plus.opt()

    @cached_property
    def pb(self) -> Bits:
        """``prop ; strong-fence ; hb* ; [Marked]``: a store propagates before a strong
        fence completes; acyclic as ``propagation`` (empty without strong fences)."""
        if self.strong_fence0.empty():
            return Bits([0] * self.n)
        return (self.prop @ self.strong_fence0 @ self.hb_star).rng(self.Marked)

    @cached_property
    def pb_plus(self) -> Bits:
        return self.pb.plus()

    @cached_property
    def pb_star(self) -> Bits:
        return self.pb_plus.opt()

    # -- the paper's RCU axiom (grace periods, read-side critical sections) -------------
    @cached_property
    def grace_periods(self) -> int:
        return self.set["Sync-rcu"] | self.set["Sync-srcu"]

    @cached_property
    def rcu_link(self) -> Bits:
        """``po? ; hb* ; pb* ; prop ; po``, on the rows that can follow a grace period
        or a read-side critical section (a grace period or a lock event)."""
        starts = self.grace_periods | self.set["Rcu-lock"] | self.set["Srcu-lock"]
        return self.po.opt().dom(starts) @ self.hb_star @ self.pb_star @ self.prop @ self.po

    @cached_property
    def rcu_order(self) -> Bits:
        """The least fixpoint of linux-kernel.cat's ``rcu-order``: sequences of grace
        periods and critical sections (joined by ``rcu-link``) with at least as many
        grace periods as critical sections; SRCU ones on the same srcu_struct."""
        n, link, loc = self.n, self.rcu_link, self.loc
        gp = Bits.identity(n, self.set["Sync-rcu"])
        sgp = Bits.identity(n, self.set["Sync-srcu"])
        rscsi, srscsi = self.rcu_rscs.inv(), self.srcu_rscs.inv()
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

    @cached_property
    def rcu_fence(self) -> Bits:
        if not self.grace_periods:
            return Bits([0] * self.n)
        return self.po @ self.rcu_order @ self.po.opt()

    @cached_property
    def rb(self) -> Bits:
        """``prop ; rcu-fence ; hb* ; pb* ; [Marked]``: irreflexive as ``rcu`` (a
        read-side critical section cannot span a grace period)."""
        if self.rcu_fence.empty():
            return Bits([0] * self.n)
        return (self.prop @ self.rcu_fence @ self.hb_star @ self.pb_star).rng(self.Marked)

    @cached_property
    def fence(self) -> Bits:
        return self.fence0 | self.rcu_fence

    @cached_property
    def strong_fence(self) -> Bits:
        return self.strong_fence0 | self.rcu_fence

    # -- plain accesses and data races: not in the paper; added to the LKMM in 2019 (A.
    # Stern; tools/memory-model/Documentation/explanation.txt, "PLAIN ACCESSES AND DATA
    # RACES").  Plain accesses are outside hb/pb/rb; these rules bound them by fences
    # and marked accesses instead. -------------------------------------------------------
    @cached_property
    def mixed_accesses(self) -> Bits:
        plain_w, marked = self.Plain & self.W, self.Marked
        near = self.po_loc - self.barrier
        return near.dom(plain_w).rng(marked) | near.dom(marked).rng(plain_w)

    @cached_property
    def xbstar(self) -> Bits:
        """``(hb | pb | rb)*``: executes-before."""
        if self.pb.empty() and self.rb.empty():
            return self.hb_star
        return (self.hb | self.pb | self.rb).star()

    @cached_property
    def vis(self) -> Bits:
        """``cumul-fence* ; rfe? ; [Marked] ; ((strong-fence ; [Marked] ; xbstar) |
        (xbstar & int))``: a store visible to a later event."""
        xbstar = self.xbstar
        tail = (self.strong_fence.rng(self.Marked) @ xbstar) | (xbstar & self.internal)
        head = (self.cumul_fence_star @ self.rfe.opt()).rng(self.Marked)
        return head @ tail

    @cached_property
    def w_pre_bounded(self) -> Bits:
        return (self.addr | self.fence).opt().dom(self.Marked)

    @cached_property
    def r_pre_bounded(self) -> Bits:
        rmb = self.fencerel(self.set["Rmb"]).dom(self.R4rmb).rng(~self.Noreturn)
        return (self.addr | self.nonrw_fence | rmb).opt().dom(self.Marked)

    @cached_property
    def w_post_bounded(self) -> Bits:
        return self.fence.opt().rng(self.Marked) @ self.rmw_sequence

    @cached_property
    def r_post_bounded(self) -> Bits:
        rmb = self.fencerel(self.set["Rmb"]).dom(~self.Noreturn).rng(self.R4rmb)
        return (self.nonrw_fence | rmb).opt().rng(self.Marked)

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
            return fence.rows[a] | via_xb | pre.image(self.vis.image(post.rows[a]))

        return LazyRows(row)

    @cached_property
    def ww_vis(self) -> LazyRows:
        return self._visibility(self.w_pre_bounded)

    @cached_property
    def wr_vis(self) -> LazyRows:
        return self._visibility(self.r_pre_bounded)

    @cached_property
    def rw_xbstar(self) -> LazyRows:
        """``fence | (r-post-bounded ; xbstar ; w-pre-bounded)``."""
        fence, post, xbstar, pre = self.fence, self.r_post_bounded, self.xbstar, self.w_pre_bounded
        return LazyRows(lambda a: fence.rows[a] | pre.image(xbstar.image(post.rows[a])))

    def pre_race(self, a: int, b: int) -> bool:
        """``ext & ((Plain * M) | ((M \\ IW) * Plain))``."""
        if not self.ext.rows[a] >> b & 1:
            return False
        plain, m = self.Plain, self.M
        return bool(
            (plain >> a & 1 and m >> b & 1) or ((m & ~self.set["IW"]) >> a & 1 and plain >> b & 1)
        )

    def conflicts(self, rel: Bits) -> Iterator[tuple[int, int]]:
        """The pairs of ``rel`` that are in ``pre-race``."""
        for a, row in enumerate(rel.rows):
            if not row:
                continue
            near = row if self.Plain >> a & 1 else row & self.Plain
            for b in members(near):
                if self.pre_race(a, b):
                    yield a, b

    def plain_incoherent(self) -> bool:
        """``wr-incoh | rw-incoh | ww-incoh``: a plain access against the coherence of
        the accesses that bound it."""
        if not self.Plain:
            return False
        if any(self.rw_xbstar[r] >> w & 1 for w, r in self.conflicts(self.rf)):
            return True
        if any(self.wr_vis[w] >> r & 1 for r, w in self.conflicts(self.fr)):
            return True
        return any(self.ww_vis[w2] >> w1 & 1 for w1, w2 in self.conflicts(self.co))

    def races(self) -> list[tuple[int, int, str]]:
        """``ww-race``, ``wr-race``, ``rw-race`` pairs (view events)."""
        if not self.Plain:
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
        marked, w = self.Marked, self.W
        if not self.ww_vis[a] >> b & 1:
            return False
        first = bool(marked >> a & 1 and w >> b & 1) or bool(self.rw_xbstar[a] >> b & 1)
        return first and (bool(w >> a & 1 and marked >> b & 1) or bool(self.wr_vis[a] >> b & 1))

    # -- axioms and flags ---------------------------------------------------------------
    def violated(self) -> str | None:
        """The first axiom that fails, in herd7's order (lock.cat's first)."""
        checks: tuple[tuple[str, Callable[[], bool]], ...] = (
            ("lock-nest", lambda: not self._nested(self.set["LKR"]).empty()),
            ("nested-is-locked", lambda: not self._nested(self.set["RU"]).empty()),
            ("unmatched-locks", self._unmatched_locks),
            ("coherence", lambda: not self.coherence_order.acyclic()),
            ("atomic", self.atomic_violated),
            ("happens-before", lambda: bool(self.hb_plus.reflexive_at())),
            ("propagation", lambda: not self.pb.acyclic()),
            ("rcu", lambda: bool(self.rb.reflexive_at())),
            ("plain-coherence", self.plain_incoherent),
        )
        return next((name for name, failed in checks if failed()), None)

    def _unmatched_locks(self) -> bool:
        """``empty ([UNMATCHED-LKW] ; loc ; [UNMATCHED-LKW]) \\ id``: a second lock
        still held at the end can only have deadlocked."""
        held = self.UNMATCHED_LKW
        return any(self.loc.rows[e] & held & ~(1 << e) for e in members(held))

    @cached_property
    def coherence_order(self) -> Bits:
        """``po-loc | com``, acyclic as ``coherence``: sequential consistency per
        variable (the paper's first axiom)."""
        return self.po_loc | self.com

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
        s, rscs, srscs = self.set, self.rcu_rscs, self.srcu_rscs
        values = self.v.values
        raised = {
            "unmatched-rcu-lock": s["Rcu-lock"] & ~rscs.domain(),
            "unmatched-rcu-unlock": s["Rcu-unlock"] & ~rscs.range(),
            "unmatched-srcu-lock": s["Srcu-lock"] & ~srscs.domain(),
            "unmatched-srcu-unlock": s["Srcu-unlock"] & ~srscs.range(),
            "multiple-srcu-matches": any(
                r & ~(1 << i) for i, r in enumerate((srscs.inv() @ srscs).rows)
            ),
            "invalid-sleep": not (rscs & (self.po.rng(s["Sync-srcu"]) @ self.po)).empty(),
            "srcu-bad-value-match": any(values.get(a) != values.get(b) for a, b in srscs.pairs()),
            "mixed-lock-accesses": self._mixed_lock_accesses(),
            "unpaired-LKW": s["LKW"] & ~self.lk_rmw.range(),
            "unpaired-LKR": s["LKR"] & ~self.lk_rmw.domain(),
            "unmatched-unlock": s["UL"] & ~self.critical.range(),
            "mixed-accesses": not self.mixed_accesses.empty(),
            "data-race": bool(self.races()),
        }
        return tuple(name for name, hit in raised.items() if hit)

    def _mixed_lock_accesses(self) -> bool:
        """``[M \\ IW \\ ALL-LOCKS] ; loc ; [ALL-LOCKS]`` (the bell's ``M``)."""
        ordinary = self.set["M"] & ~self.set["IW"] & ~self.ALL_LOCKS
        return any(self.loc.rows[e] & self.ALL_LOCKS for e in members(ordinary))


class LKMM:
    """The Linux-kernel memory model: :class:`~pagerace.models.base.MemoryModel` plus
    herd7's flags, the racing pairs behind ``data-race``, and cycle explanations.

    The relations of the last graph asked about are kept, so ``flags(g)`` or
    ``races(g)`` right after ``violation(g)`` reuse its work (graphs are not mutated).
    """

    name = "lkmm"
    interleaving = False

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
