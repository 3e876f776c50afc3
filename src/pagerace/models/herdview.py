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

Skeletons: everything above but ``rf``, ``co``, the values and ``FW`` depends on the
graph's events alone, and the candidate engine asks about many graphs that differ only
in rf and co (so in the values their reads saw): that part is a :class:`Skeleton`,
built once and shared by every view of a graph with the same events (compared on all
fields but rf, the values, ``lid``, ``lock_key`` and ``src``, and on whether a
``spin_is_locked`` saw the lock held), from a small first-in first-out cache.  A view
adds its graph's rf and co (and, when asked, the values and ``FW``); models keep what
they derive from the skeleton alone in ``Skeleton.derived``.  Views and skeletons are
read-only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import cached_property
from operator import attrgetter

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


_ALWAYS_SETS = ("R", "W", "F", "IW", "RMW", *TAGS, *LOCK_SETS)  # in sets, if empty
_HERD_SET_NAMES = tuple((tag, herd_set_name(tag)) for tag in TAGS)


class Skeleton:
    """What :func:`herd_view` derives from a graph's events alone, with ``rf``, ``co`` and
    the values read and written left out: the events, ``po``, the sets, the dependencies
    and ``rmw``.  The candidate engine enumerates many graphs per combination of thread
    paths that differ only in rf and co (and so in the values the reads saw), and these
    share one skeleton (see :func:`skeleton`); ``derived`` is where the models keep
    what they compute from it alone (the LKMM's rf-free relations).  Shared between
    views: read-only once built, but for ``derived``.

    ``sets`` lacks ``FW`` (it depends on co); ``reads`` lists, in event order, each
    event's position in ``g.events`` with the view event holding its read and the
    ``IW`` of its location; ``write_part`` maps an eid to the view event holding its
    write; ``iw`` each location to its ``IW``; ``value_parts`` names where each view
    event's value comes from (view event, position, whether it is the read value);
    ``initial_reads`` the reads (position, ``IW``) that give an ``IW`` its value when
    they read it.
    """

    __slots__ = (
        "dep_pairs",
        "derived",
        "initial_reads",
        "iw",
        "loc",
        "n",
        "origin",
        "reads",
        "rmw_pairs",
        "sets",
        "threads",
        "tid",
        "value_parts",
        "write_part",
    )

    def __init__(self, b: _Builder, events: list[Event]) -> None:
        self.n = b.n
        self.sets = b.sets()
        self.origin = b.origin
        self.tid = b.tid
        self.loc = b.loc
        self.threads = b.threads(events)
        self.dep_pairs = b.deps(events)
        self.rmw_pairs = tuple(b.rmw)
        self.iw = b.iw
        self.write_part = b.write_part
        self.reads = tuple(b.reads)
        self.value_parts = tuple(b.value_parts)
        self.initial_reads = tuple(b.initial_reads)
        self.derived: dict[str, object] = {}


# The event fields a skeleton depends on: not rf, the values (but see skeleton_key),
# lid, lock_key (ours, not herd's) or the source position.  The kind by its value: an
# Enum member hashes in Python, a string in C (a key is hashed on every look-up).
_SHAPE = attrgetter(
    "eid", "tid", "po_index", "kind._value_", "name", "annot", "loc",
    "reads", "writes", "addr", "data", "ctrl", "detail",
)  # fmt: skip
_NAME = attrgetter("name")
_SKELETONS: dict[object, Skeleton] = {}
SKELETON_CACHE_SIZE = 256


def skeleton_key(events: Iterable[Event]) -> object:
    """Equal for graphs whose events differ only in rf and in the values: a
    ``spin_is_locked``'s value is kept as whether it saw the lock held (``RL``/``RU``)."""
    evs = tuple(events)
    if "spin_is_locked" not in map(_NAME, evs):
        return tuple(map(_SHAPE, evs))
    held = tuple(bool(e.read_value) for e in evs if e.name == "spin_is_locked")
    return tuple(map(_SHAPE, evs)), held


def skeleton(g: ExecutionGraph) -> Skeleton:
    """The skeleton of ``g``, shared with the graphs of the same key.  The cache is
    small and first-in first-out: the candidate engine asks about one skeleton's graphs
    in a row, TruSt comes back to one soon after (on both, evicting the least recently
    used instead misses no less often, and costs a second hash of the key per hit)."""
    shared = g.siblings.get("skeleton")
    if isinstance(shared, Skeleton):
        return shared
    key = skeleton_key(g.events)
    sk = _SKELETONS.get(key)
    if sk is None:
        sk = _Builder(g.events).build()
        if len(_SKELETONS) >= SKELETON_CACHE_SIZE:
            del _SKELETONS[next(iter(_SKELETONS))]
        _SKELETONS[key] = sk
    g.siblings["skeleton"] = sk
    return sk


class HerdView:
    """One execution graph as herd7's event structure (see the module docstring).

    Events are ``0..n-1``.  ``threads`` lists each thread's events in ``po`` order;
    ``rf_source`` maps each read (including lock reads) to the write it reads from;
    ``co_order`` is each location's writes in coherence order, ``IW`` first;
    ``dep_pairs`` holds herd's ``addr``/``data``/``ctrl`` pairs; ``rmw_pairs`` the base
    ``rmw`` (not lock.cat's ``lk-rmw``).  ``relations`` builds the cat relations
    (``po``, ``rf``, ``co``, ``fr``, ``rmw``, ``addr``, ``data``, ``ctrl``, ``loc``,
    ``ext``, ``int``, ``id``, ``po-loc``, and the ``e``/``i`` parts of rf/co/fr) on
    first use; ``tags`` maps each bell tag to its events (as ``sets`` does too).
    Everything but rf, co, the values and ``FW`` is the :class:`Skeleton`'s, shared
    with other views: read-only.  ``values``, ``sets``, ``tags`` and ``relations`` are
    built on first use (the native LKMM reads none of them but ``values``, and that
    only for a flag).
    """

    def __init__(self, sk: Skeleton, g: ExecutionGraph, observed: Collection[str] | None) -> None:
        self.skeleton = sk
        self.n = sk.n
        self.origin = sk.origin
        self.tid = sk.tid
        self.loc = sk.loc
        self.threads = sk.threads
        self.dep_pairs = sk.dep_pairs
        self.rmw_pairs = sk.rmw_pairs
        self._events = g.events
        self._observed = observed
        self.co_order = _co_order(sk, g)
        self.rf_source = _rf(sk, g.events)

    @cached_property
    def values(self) -> dict[int, object]:
        """The value each view event read or wrote (absent: None); an ``IW``'s is the
        one the first read of the initial value saw."""
        evs = self._events
        values: dict[int, object] = {}
        for v, i, is_read in self.skeleton.value_parts:
            value = evs[i].read_value if is_read else evs[i].written_value
            if value is not None:
                values[v] = value
        for i, iw in self.skeleton.initial_reads:
            if evs[i].rf is None:
                values.setdefault(iw, evs[i].read_value)
        return values

    @cached_property
    def sets(self) -> dict[str, frozenset[int]]:
        observed = self._observed
        fw = frozenset(
            ws[-1] for x, ws in self.co_order.items() if observed is None or x in observed
        )
        return {**self.skeleton.sets, "FW": fw}

    @cached_property
    def tags(self) -> dict[str, frozenset[int]]:
        """Each bell tag, as written (``"ONCE"``, ``"rcu-lock"``), to its events."""
        return {t: self.skeleton.sets[t] for t in TAGS}

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


def _co_order(sk: Skeleton, g: ExecutionGraph) -> dict[str, tuple[int, ...]]:
    co: dict[str, tuple[int, ...]] = {}
    placed = 0  # co lists each write once: counting them finds a missing one
    parts, order, view = sk.write_part, g.co_order, sk.write_part.__getitem__
    for x, iw in sk.iw.items():
        eids = order.get(x)
        if not eids:
            co[x] = (iw,)
            continue
        try:
            ws = tuple(map(view, eids))
        except KeyError:  # co names an event that writes nothing: leave it out
            ws = tuple(parts[w] for w in eids if w in parts)
        placed += len(ws)
        co[x] = (iw, *ws)
    if placed != len(parts):
        placed_set = {w for ws in co.values() for w in ws[1:]}
        missing = [sk.origin[v] for v in sorted(set(parts.values()) - placed_set)]
        raise InternalError(f"herd_view: writes {missing} are missing from the graph's co")
    return co


def _rf(sk: Skeleton, events: tuple[Event, ...]) -> dict[int, int]:
    src: dict[int, int] = {}
    parts = sk.write_part
    for i, r, iw in sk.reads:
        w = events[i].rf
        if w is None:
            src[r] = iw
        else:
            v = parts.get(w)
            if v is None:
                raise InternalError(f"herd_view: event {events[i].eid} reads from {w}, not a write")
            src[r] = v
    return src


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
    return HerdView(skeleton(g), g, observed)


_DROPPED = (EventKind.LOCAL, EventKind.END)


def kept(e: Event) -> bool:
    """Whether herd has a counterpart of ``e`` (not a local step or a thread end)."""
    return e.kind not in _DROPPED


class _Builder:
    """Builds a :class:`Skeleton` from a graph's events."""

    def __init__(self, events: tuple[Event, ...]) -> None:
        self.g_events = events
        self.n = 0
        self.classes: dict[str, list[int]] = {}
        self.value_parts: list[tuple[int, int, bool]] = []
        self.origin: dict[int, int] = {}
        self.tid: dict[int, int | None] = {}
        self.loc: dict[int, str] = {}
        self.write_part: dict[int, int] = {}  # eid -> the view event holding its write
        self.parts: dict[int, list[int]] = {}  # eid -> every view event made from it
        self.dep_source: dict[int, int] = {}  # eid -> view event a dependency starts at
        self.rmw: list[tuple[int, int]] = []
        self.iw: dict[str, int] = {}
        self.position = 0  # of the event being translated, in g.events
        self.reads: list[tuple[int, int, int]] = []  # (position, view read, its IW)
        self.initial_reads: list[tuple[int, int]] = []  # (position, IW)

    def build(self) -> Skeleton:
        events = [(i, e) for i, e in enumerate(self.g_events) if e.kind not in _DROPPED]
        for _, e in events:
            where = _location(e)
            if where is not None and where not in self.iw:
                self.iw[where] = self._new(None, where, None, None, ("IW", "W"))
        for self.position, e in events:
            self._translate(e)
            if e.reads and e.loc in self.iw:
                self.initial_reads.append((self.position, self.iw[e.loc]))
        return Skeleton(self, [e for _, e in events])

    # -- events -----------------------------------------------------------------------
    def _new(
        self, e: Event | None, loc: str | None, value: bool | None, tag: str | None,
        cls: Iterable[str],
    ) -> int:  # fmt: skip
        """A new view event; ``value``: it carries ``e``'s read value (True), its
        written value (False) or none (None)."""
        v = self.n
        self.n += 1
        if e is None:
            self.tid[v] = None
        else:
            self.tid[v] = e.tid
            self.origin[v] = e.eid
            self.parts.setdefault(e.eid, []).append(v)
            if value is not None:
                self.value_parts.append((v, self.position, value))
        if loc is not None:
            self.loc[v] = loc
        classes = self.classes
        for c in cls:
            classes.setdefault(c, []).append(v)
        if tag:
            classes.setdefault(tag, []).append(v)
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
            r = self._new(e, e.loc, True, tag, ("R", "M", "RMW"))
            w = self._new(e, e.loc, False, tag, ("W", "M", "RMW"))
            self.rmw.append((r, w))
            self._access(e, r, w, dep_source=True)
        elif e.reads:
            cls = ("R", "M", "RMW") if e.kind is EventKind.RMW_FAIL else ("R", "M")
            r = self._new(e, e.loc, True, _tag(ACCESS_TAGS, e), cls)
            self._access(e, r, None, dep_source=True)
        elif e.writes:
            w = self._new(e, e.loc, False, _tag(ACCESS_TAGS, e), ("W", "M"))
            self._access(e, None, w, dep_source=False)
        else:
            raise InternalError(f"herd_view: event {e.eid} ({e.name}) neither reads nor writes")

    def _ghost(self, e: Event) -> None:
        if e.reads and e.writes:
            r = self._new(e, e.loc, True, "MB", ("R", "M", "RMW"))
            w = self._new(e, e.loc, False, "MB", ("W", "M", "RMW"))
            self.rmw.append((r, w))
            self._access(e, r, w, dep_source=True)
        elif e.reads:
            self._new(e, None, None, "MB", ("F",))
            r = self._new(e, e.loc, True, "ACQUIRE", ("R", "M"))
            self._access(e, r, None, dep_source=True)
        else:
            raise InternalError(f"herd_view: ghost event {e.eid} ({e.name}) only writes")

    def _spinlock(self, e: Event) -> None:
        if e.name == "spin_unlock":
            self._access(e, None, self._new(e, e.loc, False, None, ("UL",)), False)
        elif e.name == "spin_is_locked":
            cls = "RL" if e.read_value else "RU"  # part of the skeleton's key
            self._access(e, self._new(e, e.loc, True, None, (cls,)), None, False)
        elif e.writes:
            r = self._new(e, e.loc, True, None, ("LKR",))
            w = self._new(e, e.loc, False, None, ("LKW",))
            self._access(e, r, w, dep_source=False)
        else:
            self._access(e, self._new(e, e.loc, True, None, ("LF",)), None, False)

    def _access(self, e: Event, r: int | None, w: int | None, dep_source: bool) -> None:
        if r is not None:
            self.reads.append((self.position, r, self.iw[self.loc[r]]))
            if dep_source:
                self.dep_source[e.eid] = r
        if w is not None:
            self.write_part[e.eid] = w

    # -- relations ----------------------------------------------------------------------
    def threads(self, events: list[Event]) -> tuple[tuple[int, ...], ...]:
        by_thread: dict[int, list[Event]] = {}
        for e in events:
            by_thread.setdefault(e.tid, []).append(e)
        return tuple(
            tuple(v for e in sorted(evs, key=lambda e: e.po_index) for v in self.parts[e.eid])
            for _, evs in sorted(by_thread.items())
        )

    def deps(self, events: list[Event]) -> dict[str, tuple[tuple[int, int], ...]]:
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

    def sets(self) -> dict[str, frozenset[int]]:
        """Every set but ``FW``."""
        sets = dict.fromkeys(_ALWAYS_SETS, frozenset[int]())
        sets.update({k: frozenset(v) for k, v in self.classes.items()})
        for tag, name in _HERD_SET_NAMES:
            sets[name] = sets[tag]
        sets["_"] = frozenset(range(self.n))
        sets["M"] = sets["R"] | sets["W"]
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
