"""Our execution graph as herd7 would see it: the event structure linux-kernel.cat reads.

herd7 runs the LKMM (``linux-kernel.bell``, ``linux-kernel.cat``, ``lock.cat``) on events
built from ``linux-kernel.def``; our :class:`~pagerace.graph.graph.ExecutionGraph` is
richer and coarser at once.  :func:`herd_view` translates, renumbering events ``0..n-1``:
initial writes first (one per location, in order of first access), then the graph's
events in ``eid`` order, each RMW as two adjacent events.

Events
  - ``IW``: one explicit initial write per accessed location, in no thread (not in
    ``po``; ``ext`` to every other event; no ``int`` pair at all, as herd's
    ``same_proc_not_init``).  Its value is the one a read of the initial value saw, or
    None when no read saw it.
  - A successful RMW (reads and writes) is an ``R`` then a ``W``, adjacent in ``po`` and
    linked by ``rmw``; both are in ``RMW`` and carry the RMW's tag (the bell's
    ``Acquire``/``Release``/``Noreturn``/``Mb`` filters keep the half each tag orders).
    The R half takes the ``rf`` edge, the W half the ``co`` position.
  - A failed RMW (``RMW_FAIL``) is one ``R`` in ``RMW`` and in no ``rmw`` pair: the
    bell's ``FailedRMW``.
  - ``LOCAL`` and ``END`` events have no herd counterpart and are dropped.
  - Accesses annotated ``ghost`` (the irq-state words an IPI waits on, ``kernel.irq``)
    stand for the IPI handshake, which orders like a full barrier on both sides: a
    ghost RMW (irqs off/on) is an RMW tagged ``MB``; a ghost read (the sender looking
    at a CPU's irq state, or waiting for it) is ``smp_mb()`` then an ``ACQUIRE`` read:
    the sender's earlier stores are visible before it looks, and what it does after
    the acknowledgement follows it.
  - A fence is an ``F`` with its tag; ``synchronize_srcu(X)`` (fence annotation
    ``sync-srcu``, ``detail`` naming X) is herd's ``__srcu{sync-srcu}(X)``: an event on
    location X (in ``loc``), neither R, W nor F.

Tags (linux-kernel.def): ``once`` and ``relaxed`` are ``ONCE``, ``acquire``
``ACQUIRE``, ``release`` ``RELEASE``, ``noreturn`` ``NORETURN``, ``mb`` ``MB``;
``plain`` has none.  Fences: ``mb`` is ``MB``, every other fence annotation is its own
tag (``rmb``, ``wmb``, ``barrier``, ``rcu-lock``, ...).  ``srcu_read_lock`` is an R
tagged ``srcu-lock``, ``srcu_read_unlock`` a W tagged ``srcu-unlock``.  ``sets`` has
each tag under its own name and under herd's set name for it (the tag capitalised:
``Wmb``, ``Rcu-lock``, ``Srcu-unlock``); ``SRCU`` holds the three SRCU-tagged kinds.

Spinlocks (lock.cat, by primitive name: ``spin_lock``, ``spin_trylock``,
``spin_unlock``, ``spin_is_locked``; bit spinlocks stay ordinary RMWs with their tag):
  - a successful lock is ``LKR`` then ``LKW``, untagged and in neither ``R``/``W``/``M``
    nor ``RMW`` nor the base ``rmw``: lock.cat adds them to ``R``/``W`` and builds
    ``lk-rmw`` itself (the pair is po-adjacent on one location, which is what its
    ``([LKR] ; po-loc ; [LKW]) \\ (po ; po)`` finds);
  - ``spin_unlock`` is ``UL`` (lock.cat puts it in ``W`` only after generating co);
  - a failed ``spin_trylock`` is ``LF``; ``spin_is_locked`` is ``RL`` when it read a
    held (non-zero) lock word, else ``RU``.  None of these is in the base ``R``.

``rf``/``co``: the graph's, made explicit.  A read of the initial value reads from the
location's ``IW``; ``co`` per location is ``IW`` then the graph's coherence order, with
``LKW`` and ``UL`` at their concrete positions.  lock.cat *generates* this: it
enumerates co over ``W | LKW`` (``co0``: ``IW`` first, a matched ``LKW`` before the
location's unmatched one), then merges each ``UL`` right after the ``LKW`` of its
critical section (``co = (co | critical | critical^-1 ; co)+``), then derives each
``LKR``'s rf as the ``IW``/``UL`` immediately co-before its ``LKW``, and enumerates rf
for ``LF``/``RL``/``RU`` (``rfi-lf``, ``rfe-lf``, ``rf-ru``).  Our graph already fixes
all of that: a lock acquisition waited for a free lock, so it read the ``UL`` (or the
initial write) it took over, and with RMW atomicity (``lk-rmw`` is in ``rmw``) that
write is its ``LKW``'s co-predecessor and no other write fits between an ``LKW`` and its
``UL``: the concrete ``co`` is lock.cat's merged one, the concrete ``rf`` one of its
candidates, and coherence rules out the candidates a graph could not have built.  A
graph whose ``co`` puts a ``UL`` anywhere else (a candidate enumerator permuting all
writes builds such graphs) is none of herd's executions: a lock reads a ``UL`` that is
not its co-predecessor, or a ``UL`` goes co-before its own ``LKW``, and coherence or
atomicity rejects it, so each herd execution is counted once.  Left out: misuse that
lock.cat flags anyway, an unmatched ``UL`` (``unmatched-unlock``: herd leaves it out
of co, we keep its concrete position) and ordinary writes to a lock word
(``mixed-lock-accesses``).

Dependencies (herd's ``addr``/``data``/``ctrl``): a dependency *from* an RMW starts at
its R half; *into* an RMW, ``addr`` and ``ctrl`` reach both halves and ``data`` the W
half.  Dependencies from lock events are dropped: herd's ``__trylock`` and
``__islocked`` return a constant chosen with the branch, not a value read.  No
intra-RMW dependency R half -> W half is added (it would order two accesses of one
location in one thread, already ordered by coherence).

``FW`` is the co-last write of each location, or of the ``observed`` locations only.
herd's ``FW`` holds the final writes of the locations a test's final condition
observes (often none), which is why lock.cat's ``lock-final`` flag ("the final value
of a spinlock should not be tested") does not fire on every test that takes a lock:
pass ``observed`` (the locations a litmus condition reads) to get herd's set.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from pagerace.core.errors import InternalError
from pagerace.graph.events import Event, EventKind
from pagerace.graph.graph import ExecutionGraph
from pagerace.graph.relation import Relation

ACCESS_TAGS: dict[str, str | None] = {
    "plain": None,
    "once": "ONCE",
    "relaxed": "ONCE",
    "acquire": "ACQUIRE",
    "release": "RELEASE",
    "noreturn": "NORETURN",
    "mb": "MB",
    "srcu-lock": "srcu-lock",
    "srcu-unlock": "srcu-unlock",
}
FENCE_TAGS: dict[str, str] = {
    "mb": "MB",
    **{
        t: t
        for t in (
            "rmb",
            "wmb",
            "barrier",
            "rcu-lock",
            "rcu-unlock",
            "sync-rcu",
            "before-atomic",
            "after-atomic",
            "after-spinlock",
            "after-unlock-lock",
            "after-srcu-read-unlock",
        )
    },
}
SRCU_TAGS = ("srcu-lock", "srcu-unlock", "sync-srcu")
TAGS = ("ONCE", "RELEASE", "ACQUIRE", "NORETURN", "MB", *FENCE_TAGS.values(), *SRCU_TAGS)
LOCK_SETS = ("LKR", "LKW", "UL", "LF", "RL", "RU")
SPINLOCK_PRIMITIVES = frozenset({"spin_lock", "spin_trylock", "spin_unlock", "spin_is_locked"})


def herd_set_name(tag: str) -> str:
    """The set herd7 binds to a tag: the tag with its first letter capitalised."""
    return tag[:1].upper() + tag[1:]


@dataclass(frozen=True)
class HerdView:
    """One execution graph as herd7's event structure (see the module docstring).
    (Not slotted: ``relations`` and ``tags`` are cached on first use.)

    Events are ``0..n-1``.  ``threads`` lists each thread's events in ``po`` order;
    ``rf_source`` maps each read (including lock reads) to the write it reads from;
    ``co_order`` is each location's writes in coherence order, ``IW`` first;
    ``dep_pairs`` holds herd's ``addr``/``data``/``ctrl`` pairs; ``rmw_pairs`` the base
    ``rmw`` (not lock.cat's ``lk-rmw``).  ``relations`` builds the cat relations
    (``po``, ``rf``, ``co``, ``fr``, ``rmw``, ``addr``, ``data``, ``ctrl``, ``loc``,
    ``ext``, ``int``, ``id``, ``po-loc``, and the ``e``/``i`` parts of rf/co/fr) on
    first use; ``tags`` maps each bell tag to its events (as ``sets`` does too).
    """

    n: int
    sets: dict[str, frozenset[int]]
    values: dict[int, object]
    origin: dict[int, int]
    tid: dict[int, int | None]
    loc: dict[int, str]
    threads: tuple[tuple[int, ...], ...]
    rf_source: dict[int, int]
    co_order: dict[str, tuple[int, ...]]
    dep_pairs: dict[str, tuple[tuple[int, int], ...]]
    rmw_pairs: tuple[tuple[int, int], ...]

    @cached_property
    def tags(self) -> dict[str, frozenset[int]]:
        """Each bell tag, as written (``"ONCE"``, ``"rcu-lock"``), to its events."""
        return {t: self.sets[t] for t in TAGS}

    @cached_property
    def relations(self) -> dict[str, Relation]:
        everything = range(self.n)
        po, loc = _in_order(self.threads), _same(self.loc)
        internal = _same({e: t for e, t in self.tid.items() if t is not None})
        external = Relation((a, b) for a in everything for b in everything if a != b) - internal
        rels = {
            "id": Relation.identity(everything),
            "po": po,
            "rf": Relation((w, r) for r, w in self.rf_source.items()),
            "co": _in_order(self.co_order.values()),
            "fr": Relation(
                (r, later)
                for r, w in self.rf_source.items()
                for ws in (self.co_order[self.loc[r]],)
                for later in ws[ws.index(w) + 1 :]
            ),
            "rmw": Relation(self.rmw_pairs),
            "loc": loc,
            "int": internal,
            "ext": external,
            "po-loc": po & loc,
            **{k: Relation(v) for k, v in self.dep_pairs.items()},
        }
        for name in ("rf", "co", "fr"):
            rels[name + "e"] = rels[name] & external
            rels[name + "i"] = rels[name] & internal
        return rels


def _in_order(sequences: Iterable[tuple[int, ...]]) -> Relation:
    """Every pair of events in the order one of the sequences lists them."""
    return Relation((a, b) for seq in sequences for i, a in enumerate(seq) for b in seq[i + 1 :])


def _same(key: Mapping[int, object]) -> Relation:
    """Every pair of events (each with itself too) with the same key."""
    groups: dict[object, list[int]] = {}
    for e, k in key.items():
        groups.setdefault(k, []).append(e)
    return Relation((a, b) for es in groups.values() for a in es for b in es)


def herd_view(g: ExecutionGraph, observed: Collection[str] | None = None) -> HerdView:
    """Translate ``g`` into herd7's event structure (rules in the module docstring).
    ``observed``: the locations whose co-last write is in ``FW`` (None: every one)."""
    return _Builder(g).build(observed)


def kept(e: Event) -> bool:
    """Whether herd has a counterpart of ``e`` (not a local step or a thread end)."""
    return e.kind not in (EventKind.LOCAL, EventKind.END)


class _Builder:
    def __init__(self, g: ExecutionGraph) -> None:
        self.g = g
        self.n = 0
        self.classes: dict[str, list[int]] = {}
        self.values: dict[int, object] = {}
        self.origin: dict[int, int] = {}
        self.tid: dict[int, int | None] = {}
        self.loc: dict[int, str] = {}
        self.read_part: dict[int, int] = {}  # eid -> the view event holding its read
        self.write_part: dict[int, int] = {}  # eid -> the view event holding its write
        self.parts: dict[int, list[int]] = {}  # eid -> every view event made from it
        self.dep_source: dict[int, int] = {}  # eid -> view event a dependency starts at
        self.rmw: list[tuple[int, int]] = []
        self.iw: dict[str, int] = {}

    def build(self, observed: Collection[str] | None) -> HerdView:
        events = [e for e in self.g.events if kept(e)]
        for e in events:
            where = _location(e)
            if where is not None and where not in self.iw:
                self.iw[where] = self._new(None, where, None, None, ("IW", "W"))
        for e in events:
            self._translate(e)
        self._initial_values(events)
        co_order = self._co_order()
        return HerdView(
            n=self.n,
            sets=self._sets(co_order, observed),
            values=self.values,
            origin=self.origin,
            tid=self.tid,
            loc=self.loc,
            threads=self._threads(events),
            rf_source=self._rf(events),
            co_order=co_order,
            dep_pairs=self._deps(events),
            rmw_pairs=tuple(self.rmw),
        )

    # -- events -----------------------------------------------------------------------
    def _new(
        self, e: Event | None, loc: str | None, value: object, tag: str | None, cls: Iterable[str]
    ) -> int:
        v = self.n
        self.n += 1
        self.tid[v] = None if e is None else e.tid
        if e is not None:
            self.origin[v] = e.eid
            self.parts.setdefault(e.eid, []).append(v)
        if loc is not None:
            self.loc[v] = loc
        if value is not None:
            self.values[v] = value
        for c in (*cls, *((tag,) if tag else ())):
            self.classes.setdefault(c, []).append(v)
        return v

    def _translate(self, e: Event) -> None:
        if e.kind is EventKind.FENCE:
            if e.annot == "sync-srcu":
                self._new(e, e.detail, None, "sync-srcu", ())
            else:
                self._new(e, None, None, _tag(FENCE_TAGS, e), ("F",))
        elif e.name in SPINLOCK_PRIMITIVES:
            self._spinlock(e)
        elif e.annot == "ghost":
            self._ghost(e)
        elif e.reads and e.writes:
            tag = _tag(ACCESS_TAGS, e)
            r = self._new(e, e.loc, e.read_value, tag, ("R", "M", "RMW"))
            w = self._new(e, e.loc, e.written_value, tag, ("W", "M", "RMW"))
            self.rmw.append((r, w))
            self._access(e, r, w, dep_source=True)
        elif e.reads:
            cls = ("R", "M", "RMW") if e.kind is EventKind.RMW_FAIL else ("R", "M")
            r = self._new(e, e.loc, e.read_value, _tag(ACCESS_TAGS, e), cls)
            self._access(e, r, None, dep_source=True)
        elif e.writes:
            w = self._new(e, e.loc, e.written_value, _tag(ACCESS_TAGS, e), ("W", "M"))
            self._access(e, None, w, dep_source=False)
        else:
            raise InternalError(f"herd_view: event {e.eid} ({e.name}) neither reads nor writes")

    def _ghost(self, e: Event) -> None:
        if e.reads and e.writes:
            r = self._new(e, e.loc, e.read_value, "MB", ("R", "M", "RMW"))
            w = self._new(e, e.loc, e.written_value, "MB", ("W", "M", "RMW"))
            self.rmw.append((r, w))
            self._access(e, r, w, dep_source=True)
        elif e.reads:
            self._new(e, None, None, "MB", ("F",))
            r = self._new(e, e.loc, e.read_value, "ACQUIRE", ("R", "M"))
            self._access(e, r, None, dep_source=True)
        else:
            raise InternalError(f"herd_view: ghost event {e.eid} ({e.name}) only writes")

    def _spinlock(self, e: Event) -> None:
        if e.name == "spin_unlock":
            self._access(e, None, self._new(e, e.loc, e.written_value, None, ("UL",)), False)
        elif e.name == "spin_is_locked":
            cls = "RL" if e.read_value else "RU"
            self._access(e, self._new(e, e.loc, e.read_value, None, (cls,)), None, False)
        elif e.writes:
            r = self._new(e, e.loc, e.read_value, None, ("LKR",))
            w = self._new(e, e.loc, e.written_value, None, ("LKW",))
            self._access(e, r, w, dep_source=False)
        else:
            self._access(e, self._new(e, e.loc, e.read_value, None, ("LF",)), None, False)

    def _access(self, e: Event, r: int | None, w: int | None, dep_source: bool) -> None:
        if r is not None:
            self.read_part[e.eid] = r
            if dep_source:
                self.dep_source[e.eid] = r
        if w is not None:
            self.write_part[e.eid] = w

    def _initial_values(self, events: list[Event]) -> None:
        for e in events:
            if e.reads and e.rf is None and e.loc in self.iw:
                self.values.setdefault(self.iw[e.loc], e.read_value)

    # -- relations ----------------------------------------------------------------------
    def _threads(self, events: list[Event]) -> tuple[tuple[int, ...], ...]:
        by_thread: dict[int, list[Event]] = {}
        for e in events:
            by_thread.setdefault(e.tid, []).append(e)
        return tuple(
            tuple(v for e in sorted(evs, key=lambda e: e.po_index) for v in self.parts[e.eid])
            for _, evs in sorted(by_thread.items())
        )

    def _rf(self, events: list[Event]) -> dict[int, int]:
        src: dict[int, int] = {}
        for e in events:
            r = self.read_part.get(e.eid)
            if r is None:
                continue
            if e.rf is None:
                src[r] = self.iw[self.loc[r]]
            elif e.rf in self.write_part:
                src[r] = self.write_part[e.rf]
            else:
                raise InternalError(f"herd_view: event {e.eid} reads from {e.rf}, not a write")
        return src

    def _co_order(self) -> dict[str, tuple[int, ...]]:
        co: dict[str, tuple[int, ...]] = {}
        placed: set[int] = set()
        for x, iw in self.iw.items():
            ws = tuple(
                self.write_part[w] for w in self.g.co_order.get(x, ()) if w in self.write_part
            )
            placed.update(ws)
            co[x] = (iw, *ws)
        missing = sorted(set(self.write_part.values()) - placed)
        if missing:
            eids = [self.origin[v] for v in missing]
            raise InternalError(f"herd_view: writes {eids} are missing from the graph's co")
        return co

    def _deps(self, events: list[Event]) -> dict[str, tuple[tuple[int, int], ...]]:
        deps: dict[str, list[tuple[int, int]]] = {"addr": [], "data": [], "ctrl": []}
        sources: dict[frozenset[int], list[int]] = {}  # events of a thread share ctrl sets
        for e in events:
            parts = self.parts[e.eid]
            w = self.write_part.get(e.eid)
            targets = {"addr": parts, "ctrl": parts, "data": [] if w is None else [w]}
            for kind, out in deps.items():
                eids: frozenset[int] = getattr(e, kind)
                if not eids:
                    continue
                src = sources.get(eids)
                if src is None:
                    src = sources[eids] = sorted(
                        self.dep_source[i] for i in eids if i in self.dep_source
                    )
                out += [(s, t) for s in src for t in targets[kind]]
        return {k: tuple(v) for k, v in deps.items()}

    def _sets(
        self, co_order: dict[str, tuple[int, ...]], observed: Collection[str] | None
    ) -> dict[str, frozenset[int]]:
        sets = {k: frozenset(v) for k, v in self.classes.items()}
        for name in ("R", "W", "F", "IW", "RMW", *TAGS, *LOCK_SETS):
            sets.setdefault(name, frozenset())
        for tag in TAGS:
            sets[herd_set_name(tag)] = sets[tag]
        sets["_"] = frozenset(range(self.n))
        sets["M"] = sets["R"] | sets["W"]
        sets["FW"] = frozenset(
            ws[-1] for x, ws in co_order.items() if observed is None or x in observed
        )
        sets["SRCU"] = frozenset().union(*(sets[t] for t in SRCU_TAGS))
        return sets


def _location(e: Event) -> str | None:
    if e.kind is EventKind.FENCE:
        return e.detail if e.annot == "sync-srcu" else None
    return e.loc


def _tag(table: Mapping[str, str | None], e: Event) -> str | None:
    if e.annot not in table:
        raise InternalError(
            f"herd_view: {e.name} (event {e.eid}) has annotation {e.annot!r}, "
            f"expected one of {', '.join(sorted(table))}"
        )
    return table[e.annot]
