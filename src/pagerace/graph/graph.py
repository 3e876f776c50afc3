"""The execution graph: the central type of every memory model (as in GenMC).

``po`` program order, ``rf`` reads-from, ``co`` coherence order per location, ``fr``
from-reads (derived: ``rf^-1 ; co``), and the addr/data/ctrl dependencies recorded by the
Python API.  Names and directions follow linux-kernel.cat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

from pagerace.graph.events import Event, EventKind
from pagerace.graph.relation import Relation


class ExecutionGraph:
    """Events plus ``co`` (per location, the eids of its writes in coherence order).

    The initial write of each location is implicit (``rf`` None means "reads the initial
    value"); it precedes every write in ``co``.
    """

    def __init__(
        self,
        events: Sequence[Event],
        co: dict[str, list[int]],
        siblings: dict[str, object] | None = None,
    ) -> None:
        self.events: tuple[Event, ...] = tuple(events)
        self.co_order: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in co.items()}
        self.by_id: dict[int, Event] = {e.eid: e for e in self.events}
        # Shared by the graphs an engine builds from the same events, differing only in
        # rf and co (a model keeps what depends on the events alone here).
        self.siblings: dict[str, object] = {} if siblings is None else siblings

    # -- event sets (cat: R, W, F, M, ...) --------------------------------------------
    def ids(self, pred: Iterable[Event] | None = None) -> frozenset[int]:
        return frozenset(e.eid for e in (self.events if pred is None else pred))

    @cached_property
    def R(self) -> frozenset[int]:  # noqa: N802 - cat's name
        return frozenset(e.eid for e in self.events if e.reads)

    @cached_property
    def W(self) -> frozenset[int]:  # noqa: N802
        return frozenset(e.eid for e in self.events if e.writes)

    @cached_property
    def F(self) -> frozenset[int]:  # noqa: N802
        return frozenset(e.eid for e in self.events if e.kind is EventKind.FENCE)

    @cached_property
    def M(self) -> frozenset[int]:  # noqa: N802
        return self.R | self.W

    def tagged(self, annot: str) -> frozenset[int]:
        return frozenset(e.eid for e in self.events if e.annot == annot)

    # -- base relations --------------------------------------------------------------
    @cached_property
    def po(self) -> Relation:
        threads: dict[int, list[Event]] = {}
        for e in self.events:
            if e.kind is not EventKind.LOCAL:
                threads.setdefault(e.tid, []).append(e)
        pairs = []
        for evs in threads.values():
            evs.sort(key=lambda e: e.po_index)
            pairs += [(a.eid, b.eid) for i, a in enumerate(evs) for b in evs[i + 1 :]]
        return Relation(pairs)

    @cached_property
    def rf(self) -> Relation:
        return Relation((e.rf, e.eid) for e in self.events if e.reads and e.rf is not None)

    @cached_property
    def co(self) -> Relation:
        pairs = []
        for ws in self.co_order.values():
            pairs += [(a, b) for i, a in enumerate(ws) for b in ws[i + 1 :]]
        return Relation(pairs)

    @cached_property
    def fr(self) -> Relation:
        """``rf^-1 ; co``, with reads of the initial value before every write."""
        pairs = []
        for e in self.events:
            if not e.reads or e.loc is None:
                continue
            ws = self.co_order.get(e.loc, ())
            after = ws if e.rf is None else ws[ws.index(e.rf) + 1 :]
            pairs += [(e.eid, w) for w in after if w != e.eid]
        return Relation(pairs)

    @cached_property
    def loc(self) -> Relation:
        by_loc: dict[str, list[int]] = {}
        for e in self.events:
            if e.loc is not None and e.is_memory:
                by_loc.setdefault(e.loc, []).append(e.eid)
        return Relation((a, b) for ids in by_loc.values() for a in ids for b in ids)

    @cached_property
    def ext(self) -> Relation:
        ids = [(e.eid, e.tid) for e in self.events]
        return Relation((a, b) for a, ta in ids for b, tb in ids if ta != tb)

    @property
    def int_(self) -> Relation:
        ids = [(e.eid, e.tid) for e in self.events]
        return Relation((a, b) for a, ta in ids for b, tb in ids if ta == tb)

    @cached_property
    def rmw(self) -> Relation:
        """Single-event RMWs: the identity on successful RMW events (cat's ``rmw`` links
        the read and write halves; here they are one event)."""
        return Relation.identity(e.eid for e in self.events if e.reads and e.writes)

    def _dep(self, field: str) -> Relation:
        return Relation(
            (src, e.eid) for e in self.events for src in getattr(e, field) if src in self.by_id
        )

    @cached_property
    def addr(self) -> Relation:
        return self._dep("addr")

    @cached_property
    def data(self) -> Relation:
        return self._dep("data")

    @cached_property
    def ctrl(self) -> Relation:
        return self._dep("ctrl")

    # -- identity of a graph ---------------------------------------------------------
    @cached_property
    def key(self) -> tuple[object, ...]:
        """A canonical value: equal for two runs iff they built the same graph (same
        events per thread, same rf, same co), whatever order the events were added in.
        A load that observed only some bits (``Event.mask``: ``test_bit``) is keyed by
        the bits it saw and the write that last changed them, not by the write it read:
        runs that differ only in writes leaving those bits alone are one trace (the
        interleaving explorer commutes the load with such writes), but a load before a
        write that sets its bit and one after a later write that clears it again are two,
        even though both see the bit clear."""
        pos = {e.eid: (e.tid, e.po_index) for e in self.events}
        threads = sorted({e.tid for e in self.events})
        per_thread = tuple(
            tuple(
                (
                    e.po_index,
                    e.kind.value,
                    e.name,
                    e.loc,
                    repr(e.written_value),
                    _source(e, pos, self),
                )
                for e in sorted(
                    (x for x in self.events if x.tid == t and x.kind is not EventKind.LOCAL),
                    key=lambda x: x.po_index,
                )
            )
            for t in threads
        )
        co = tuple(sorted((loc, tuple(pos[w] for w in ws)) for loc, ws in self.co_order.items()))
        return (per_thread, co)


def _source(e: Event, pos: dict[int, tuple[int, int]], g: ExecutionGraph) -> object:
    if e.mask is not None:
        return ("bits", e.read_value & e.mask, _bits_changed_by(e, pos, g))
    return None if e.rf is None else pos[e.rf]


def _bits_changed_by(e: Event, pos: dict[int, tuple[int, int]], g: ExecutionGraph) -> object:
    """The write that last changed the bits ``e`` observed, as of the write it read: the
    earliest of the writes just before it in ``co`` that all left those bits as ``e``
    saw them (None: that run goes back to the initial value, which is the program's)."""
    if e.rf is None:
        return None
    assert e.mask is not None and e.loc is not None
    seen = e.read_value & e.mask
    ws = g.co_order[e.loc]
    i = ws.index(e.rf)
    while i > 0 and _bits(g.by_id[ws[i - 1]].written_value, e.mask) == seen:
        i -= 1
    return None if i == 0 else pos[ws[i]]


def _bits(value: object, mask: int) -> object:
    return value & mask if type(value) is int else value
