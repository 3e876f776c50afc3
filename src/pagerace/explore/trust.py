"""Weak-memory exploration of execution graphs: TruSt (Kokologiannakis, Marmanis,
Gladstein, Vafeiadis, "Truly Stateless, Optimal Dynamic Partial Order Reduction",
POPL 2022), parametric in the memory model.

A graph grows one event at a time, always the next event of the lowest-numbered thread
that can take a step (a deterministic function of the graph, as TruSt requires):

- a read is added once per write it may read from (*forward revisits*), each graph
  checked against the model;
- a write is placed at every position of its location's coherence order, and it
  *backward-revisits* each read of its location outside its ``porf`` prefix: the read
  now reads from it, and the events added after the read that are not in the write's
  prefix are deleted.  A revisit happens only when every deleted event (and the read)
  was added *maximally* (it reads from / is the co-latest write among the events
  before it or in the write's prefix; a write that revisited nothing): that condition
  makes each graph reachable in exactly one way, so no execution is explored twice and
  none is blocked.

Threads are plain Python (greenlets) and are re-run from the start for every graph
taken off the work list (stateless): a read returns the value of the write it reads
from in the graph, so each thread's events are a function of the graph.  An await
(spinning: ``spin_lock``, ``bit_spin_lock``) takes a step only when a write it may read
from lets it proceed; a thread whose await cannot proceed in any consistent way waits,
and when no thread can step, the waiting ones are deadlocked.

Load buffering (a ``po | rf`` cycle, which the LKMM allows when no dependency closes
it): TruSt's graphs are ``porf``-acyclic, so under a model with ``porf_cycles`` a write
may also revisit reads *inside* its ``porf`` prefix, when nothing kept there depends on
them (:func:`_speculable`: no address or control dependency of a kept event on what
the new value reaches; a store whose data follows it is re-run and its readers given
the new value; dependency-aware revisits as in HMC, Kokologiannakis and Vafeiadis,
ASPLOS 2020).  Re-run with the new values, the threads make the same events, which
stay (:class:`Misspeculation` when they do not: a dependency the model's code did not
record).  One write revisits a read together with any set of the prefix's later reads
it may also close a cycle for (an RMW among them goes right after the write in co, one
at most).  A read inside the prefix was never deleted and re-added, so TruSt's
maximality is not asked of it, and a load-buffering graph can be reached from more than
one graph: one route per read of its cycle that could be revisited last, and routes
where that read had been revisited before.  Only the route from the graph where the
revisited read kept its first source is taken (:func:`_revisited_before`,
:func:`_kept_for_a_later_source`), and a graph where a read a speculative revisit gave
its source is on no cycle is left to the route where an ordinary revisit gave it
(:func:`_speculation_closes_cycles`), and so is a result keeping an event an earlier
revisit kept only through a read since given another source
(:func:`_kept_past_an_earlier_revisit`).  Every other route is taken.  Routes closing one cycle with
different reads build the same revisit result (the same events, rf and co, added in
another order), and a set of the speculative revisit results' keys drops the second
before its re-run (:meth:`Trust._built_before`, ``rebuilt`` in the stats): no execution
of a scenario is re-run twice.  Routes that build different partial graphs of one
execution remain in programs that branch on what they read (6 of 49,513 re-runs on
5,772 such generated programs): a set of the completed speculative graphs
recognises those (``duplicates``), so each execution is reported once.  (Rules that
left a cycle to the route closing it with another read lost graphs where that route
did not exist: docs/benchmarks.md.)

A cycle may pass through a read whose new value takes its thread down another branch
(under the LKMM only through a plain access: ``hb`` orders a marked read before every
marked write after its branch, so these are executions its data-race check judges).
:func:`_speculable` refuses such a revisit (a kept event has a control dependency on
the read); :meth:`Trust._rerouted` takes it instead: the thread is re-run from the read
with the new value, and its kept events are matched, in order, with the events it now
makes (the same operation keeps its stamp, source and coherence place under its new
``po`` index; what the old branch made is dropped, and another thread's read of a write
dropped takes another write of the value it read; what the new branch makes is added
with every source or coherence place; a read whose source the re-run chose is
``chosen``, which the route rules do not take for a revisit's).
The same goes for several such reads of one write (one per thread), and for an RMW
whose own value, or a read of its own write, decides a branch, or whether an RMW after
it reading its write succeeds.  Writes no step
added revisit reads once their graph is re-run (``WGraph.fresh``): a write a new branch
made, as a step's write would, and an RMW a revisit gave a source (its write part added
again, as in GenMC) the reads of its ``porf`` prefix.

Under the LKMM a failed RMW orders nothing, so a revisit that makes a successful
``cmpxchg`` fail can make consistent the completions of a partial graph the model
rejected for the ``cmpxchg``'s barrier: a graph the model accepts with its RMWs that may
yet fail taken as relaxed (:func:`_may_fail`) goes on, ``provisional``, and is asked
again once complete (``unconfirmed`` in the stats when the RMW did not fail).

Tested against herd7's candidate method (``pagerace.explore.candidates``) on generated
programs: exactly its graphs on every program tried (868 of up to 5 operations, 1,357 of
up to 7, 5,772 branching ones of up to 6 and 7: ``bench/lb_vs_candidates.py``, the
hypothesis tests).

Every graph is asked of the model before it goes on the work list (:meth:`Trust._queue`),
and a step goes on with the first choice the model accepts, so a re-run of the threads
(one per graph taken off the list) ends in an execution, but for awaits left reading a
stale value.
Ghost words (RCU grace periods, TLB-flush IPIs under SC) are not simulated: the memory
model is what orders events here.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

import greenlet

from pagerace.core.errors import InternalError
from pagerace.core.ops import NO_WRITE, Conditional, Location, Op, OpKind
from pagerace.explore.finding import Finding
from pagerace.explore.runtime import ModelThread, Program, ThreadDone, World
from pagerace.explore.values import Val, raw
from pagerace.graph.events import Event, EventKind, SourceRef
from pagerace.graph.graph import ExecutionGraph
from pagerace.models.base import MemoryModel
from pagerace.models.herdview import SPINLOCK_PRIMITIVES

REF = 1 << 20
# The events a thread re-run down another branch may make beyond those it keeps
# (Trust._rerun): a new branch with a retry loop could make them without end.
_NEW_EVENTS = 8
# The partial graphs one such revisit may build (each a fresh build of the program):
# every source and co place of a long new branch's events multiply them.
_REROUTE_BUDGET = 64  # an event's reference: tid * REF + po index
# What Trust._sink may accept unasked: accesses but for the ones with relations to
# earlier events besides po, rf, co and fr (lock.cat's, SRCU's, ghost words), and the
# fences whose relations all go through po after them (not RCU's or SRCU's).
_SINK_KINDS = frozenset({EventKind.LOAD, EventKind.STORE, EventKind.RMW, EventKind.RMW_FAIL})
_UNSINKABLE = frozenset({"ghost", "srcu-lock", "srcu-unlock", "sync-srcu"})
_ORDERING_RMW = frozenset({"mb", "acquire", "release"})
# linux-kernel.cat's axioms an RMW's annotation bears on (coherence, atomicity and
# lock.cat's do not).
_ORDERING_AXIOMS = frozenset({"happens-before", "propagation", "rcu", "plain-coherence"})
_PLAIN_FENCES = frozenset({"mb", "rmb", "wmb", "barrier", "before-atomic", "after-atomic"})


@dataclass(frozen=True, slots=True)
class WEvent:
    """An event of the graph under construction, with what re-running it needs."""

    ref: int
    stamp: float  # the order events were added (TruSt's <_G; see Trust._rerun)
    kind: EventKind
    name: str
    annot: str
    lid: int | None
    reads: bool
    writes: bool
    read_value: Any
    written_value: Any
    rf: int | None  # the write read from; None: the initial value
    addr: frozenset[int] = frozenset()
    data: frozenset[int] = frozenset()
    ctrl: frozenset[int] = frozenset()
    lock: Any = None  # LockAction
    detail: str = ""
    fn: Callable[[Any], tuple[Any, Any]] | None = None
    cond: Callable[[Any], bool] | None = None
    check: Callable[[Any], str | None] | None = None  # the unlock-owner check
    blocked: bool = False  # an await that read a value it cannot proceed on: it waits
    src: SourceRef | None = None  # where in the model (counterexample replays only)
    written_object: int | None = None  # the value is World.objects[i] of its build
    speculated: bool = False  # a read whose source a speculative revisit gave
    chosen: bool = False  # a read whose source a re-run down another branch chose

    @property
    def tid(self) -> int:
        return self.ref // REF

    @property
    def idx(self) -> int:
        return self.ref % REF


_FIELDS = tuple(f.name for f in fields(WEvent))
_PLACE = {name: i for i, name in enumerate(_FIELDS)}
_ALL_FIELDS = attrgetter(*_FIELDS)


def _with(ev: WEvent, **changes: Any) -> WEvent:
    """``ev`` with ``changes``: ``dataclasses.replace``, a third of its cost (the
    explorer makes one or more per step)."""
    args = list(_ALL_FIELDS(ev))
    for name, v in changes.items():
        args[_PLACE[name]] = v
    return WEvent(*args)


@dataclass(slots=True)
class WGraph:
    events: dict[int, WEvent] = field(default_factory=dict)
    co: dict[int, list[int]] = field(default_factory=dict)  # lid -> write refs
    lens: list[int] = field(default_factory=list)
    stamp: float = 0
    speculative: bool = False  # a read in it reads from a write in its porf prefix's future
    # Writes no step added, which revisit reads once the graph is re-run (Trust._visit):
    # an RMW a revisit gave a source (GenMC adds its write part anew; True: the reads of
    # its prefix only) and a write a thread re-run down another branch made (False).
    fresh: tuple[tuple[int, bool], ...] = ()
    # The model accepted it, or a graph it grew from, only as though an RMW that may yet
    # fail were unordered (Trust._accepted): a complete one is asked again.
    provisional: bool = False

    def copy(self) -> WGraph:
        return WGraph(
            dict(self.events),
            {k: list(v) for k, v in self.co.items()},
            list(self.lens),
            self.stamp,
            self.speculative,
            self.fresh,
            self.provisional,
        )

    def key(self) -> tuple[object, ...]:
        """The graph's identity: events, reads-from, coherence (values follow)."""
        events = tuple(sorted((e.ref, e.kind.value, e.rf) for e in self.events.values()))
        return events, tuple(sorted((lid, tuple(ws)) for lid, ws in self.co.items() if ws))

    def add(self, ev: WEvent) -> None:
        self.events[ev.ref] = ev
        self.lens[ev.tid] += 1
        self.stamp = max(self.stamp, ev.stamp + 1)

    def value(self, w: int | None, init: Any) -> Any:
        return init if w is None else self.events[w].written_value

    def porf_prefix_of_new(self, ev: WEvent) -> set[int]:
        """``ev`` (not yet added) and every event before it in ``(po | rf)+``."""
        seen: set[int] = {ev.ref}
        stack = [ev.ref - 1] if ev.idx > 0 else []
        if ev.reads and ev.rf is not None:
            stack.append(ev.rf)
        while stack:
            r = stack.pop()
            if r in seen:
                continue
            seen.add(r)
            if r % REF > 0:
                stack.append(r - 1)
            src = self.events[r].rf
            if src is not None:
                stack.append(src)
        return seen


@dataclass(slots=True)
class Outcome:
    """A complete execution: its graph, final memory, findings."""

    graph: ExecutionGraph
    world: World
    findings: list[Finding]
    waiting: list[int]
    final: dict[int, Any]


@dataclass(slots=True)
class TrustStats:
    executions: int = 0
    inconsistent: int = 0  # graphs the model rejected (partial ones included)
    revisits: int = 0
    replays: int = 0
    blocked: int = 0  # complete graphs with an await reading a stale value: not executions
    duplicates: int = 0  # load-buffering graphs reached a second way (not reported again)
    rebuilt: int = 0  # load-buffering revisit results built a second way (dropped, not re-run)
    misspeculated: int = 0  # revisits inside a prefix undone by an unrecorded dependency
    rerouted: int = 0  # revisit results whose read took its thread down another branch
    cut: int = 0  # such revisits whose partial graphs outnumbered _REROUTE_BUDGET (left)
    # partial graphs the model accepted only with a successful RMW that may yet fail
    # taken as unordered (Trust._accepted), and complete ones it then rejected
    provisional: int = 0
    unconfirmed: int = 0


class _Live:
    """A fresh build of the program with each thread re-run to the end of its events in
    the graph; ``pending[t]`` is thread t's next op (None when it has finished)."""

    def __init__(self, program: Program, g: WGraph, capture: bool = False) -> None:
        self.capture = capture
        self.world = World(program.params)
        program.build(self.world)
        self.inits = [loc.init for loc in self.world.locations]
        n = len(self.world.threads)
        if not g.lens:
            g.lens = [0] * n
        self.threads: list[ModelThread] = []
        self.pending: list[Op | None] = [None] * n
        self.done: list[Finding | bool | None] = [False] * n
        # Ghost words: irq state (an IPI waits on it) is simulated with real events on
        # ghost words; RCU's is not (the model orders grace periods).
        irq = tuple(self.world.location(f"irq_state[{name}]", 0) for name, _ in self.world.threads)
        self.inits += [0] * len(irq)
        for (name, fn), word in zip(self.world.threads, irq, strict=True):
            th = ModelThread(fn, capture)
            th.rcu, th.rcu_all = Location(-1, f"rcu_gp_state[{name}]"), ()
            th.irq_word, th.irq_all = word, irq
            self.threads.append(th)
        self.graph = g
        self.view: ExecutionGraph | None = None  # the model's view, while g is unchanged
        try:
            for tid in range(n):
                self._replay(tid)
            if g.speculative and _restale(g):
                raise Restale  # (or Misspeculation)
        except BaseException:
            self.close()
            raise

    def _replay(self, tid: int) -> None:
        g, th = self.graph, self.threads[tid]
        idx, value = 0, None
        th.on_local = None
        while True:
            res = th.switch(value)
            if isinstance(res, ThreadDone):
                self.done[tid] = res.finding if res.finding is not None else True
                self.pending[tid] = None
                if idx != g.lens[tid]:
                    raise _diverged(g, tid, idx, "a thread ended before its events in the graph")
                return
            if not isinstance(res, Op):
                raise InternalError(f"model thread switched to the engine with {res!r}")
            if _unsimulated(res):
                value = 0 if res.kind is OpKind.LOAD else None
                continue
            if idx == g.lens[tid]:
                self.pending[tid] = res
                return
            ev = g.events[tid * REF + idx]
            if ev.lid != (None if res.loc is None else res.loc.lid) or ev.name != res.name:
                raise _diverged(
                    g,
                    tid,
                    idx,
                    f"thread {tid} is not deterministic: event {idx} was {ev.name} and is "
                    f"now {res.name}; model threads must depend only on the values they read",
                )
            idx += 1
            if g.speculative and ev.writes:
                ev = self._refreshed(ev, res)
            if ev.blocked:
                if idx != g.lens[tid]:
                    raise _diverged(g, tid, idx, "a waiting await is not its thread's last event")
                self.pending[tid] = None
                return
            value = self._result(ev, res)

    def _refreshed(self, ev: WEvent, op: Op) -> WEvent:
        """A write of a graph with a read revisited inside its prefix, as its thread now
        makes it: a store whose value followed that read (a data dependency) stores the
        new value (its readers are given it once every thread is re-run).  A write that
        changed otherwise followed the read through a dependency the model's code did
        not record (a value unwrapped with ``raw()`` or ``int()``): the graph is
        dropped."""
        if op.kind is OpKind.STORE:
            value = raw(op.value)
            if _same_value(value, self.written_value(ev)):  # this build's objects
                return ev
            if not ev.data:
                raise Misspeculation(ev.tid, ev.idx)
            obj = self.world.object_ids.get(id(value))
            ev = _with(ev, written_value=value, written_object=obj)
            self.graph.events[ev.ref] = ev
            return ev
        now = outcome(ev, self.read_value(ev), fn=op.fn, cond=op.cond)
        if now.kind is not ev.kind or not _same_value(now.written_value, self.written_value(ev)):
            raise Misspeculation(ev.tid, ev.idx)
        return ev

    def _result(self, ev: WEvent, op: Op) -> Any:
        if not ev.reads:
            return None
        value = self.read_value(ev)
        if op.kind is OpKind.LOAD:
            return Val(value, frozenset((ev.ref,)))
        assert op.fn is not None
        _, result = op.fn(value)
        return Val(result, frozenset((ev.ref,)))

    def _in_world(self, v: Any) -> Any:
        return self.world.locations[v.lid] if isinstance(v, Location) and v.lid >= 0 else v

    def read_value(self, ev: WEvent) -> Any:
        """What ``ev`` read, as this build's object (the graph holds the value an
        earlier build wrote: a Location maps by id, a registered object by index)."""
        if ev.rf is not None:
            w = self.graph.events.get(ev.rf)
            if w is not None and w.written_object is not None:
                return self.world.objects[w.written_object]
        return self._in_world(ev.read_value)

    def written_value(self, ev: WEvent) -> Any:
        if ev.written_object is not None:
            return self.world.objects[ev.written_object]
        return self._in_world(ev.written_value)

    def event_for(
        self, tid: int, op: Op, rf: int | None, stamp: float, value: Any = NO_WRITE
    ) -> WEvent:
        """The event thread ``tid``'s pending op makes when it reads from ``rf`` (or
        reads ``value``, when given: a write not built yet)."""
        th = self.threads[tid]
        ref = tid * REF + self.graph.lens[tid]
        loc = op.loc
        lock_kind = None
        if op.lock is not None:
            lock_kind = EventKind.LOCK if op.lock.action == "acquire" else EventKind.UNLOCK
        common: dict[str, Any] = dict(
            ref=ref, stamp=stamp, name=op.name, annot=op.annot,
            lid=None if loc is None else loc.lid, addr=op.addr, ctrl=th.ctrl_deps,
            lock=op.lock, detail=op.detail, fn=op.fn, cond=op.cond, check=op.check,
            src=SourceRef(*th.src) if self.capture and th.src is not None else None,
        )  # fmt: skip
        if loc is None:
            kind = EventKind.FENCE if op.kind is OpKind.FENCE else EventKind.LOCAL
            return WEvent(kind=kind, reads=False, writes=False, read_value=None,
                          written_value=None, rf=None, **common)  # fmt: skip
        if op.kind is OpKind.STORE:
            data = op.data | (op.value.deps if isinstance(op.value, Val) else frozenset())
            value = raw(op.value)
            return WEvent(kind=lock_kind or EventKind.STORE, reads=False, writes=True,
                          read_value=None, written_value=value, rf=None,
                          written_object=self.world.object_ids.get(id(value)),
                          **{**common, "data": data})  # fmt: skip
        old = self.graph.value(rf, self.inits[loc.lid]) if value is NO_WRITE else value
        ev = WEvent(kind=EventKind.LOAD, reads=True, writes=False, read_value=old,
                    written_value=None, rf=rf, data=op.data, **common)  # fmt: skip
        return outcome(ev, old)

    def advance(self, tid: int, ev: WEvent) -> None:
        """Add ``ev`` (thread ``tid``'s pending op) to the graph and run the thread on."""
        self.graph.add(ev)
        self.view = None
        op = self.pending[tid]
        assert op is not None
        if ev.blocked:
            self.pending[tid] = None  # it waits: no write revisited it yet
            return
        value = self._result(ev, op)
        th = self.threads[tid]
        while True:
            res = th.switch(value)
            if isinstance(res, ThreadDone):
                self.done[tid] = res.finding if res.finding is not None else True
                self.pending[tid] = None
                return
            if not isinstance(res, Op):
                raise InternalError(f"model thread switched to the engine with {res!r}")
            if _unsimulated(res):
                value = 0 if res.kind is OpKind.LOAD else None
                continue
            self.pending[tid] = res
            return

    def close(self) -> None:
        for th in self.threads:
            if not th.dead:
                th.throw(greenlet.GreenletExit)


class Misspeculation(Exception):
    """A thread re-run on a graph with a read revisited inside its prefix did not make
    the events it kept: the read decided them through a dependency the model's code did
    not record.  Such a cycle is one the LKMM forbids (a control dependency orders the
    read before the later write the cycle goes through), so the graph is dropped."""

    def __init__(self, tid: int, idx: int) -> None:
        super().__init__(f"thread {tid}, event {idx}")


def _diverged(g: WGraph, tid: int, idx: int, message: str) -> Exception:
    """A re-run thread that did not make the events of the graph: on a speculative graph
    a dependency the model did not record (the graph is dropped), else a model bug."""
    return Misspeculation(tid, idx) if g.speculative else InternalError(message)


class Restale(Exception):
    """Stores re-run on a speculative graph changed values that events of threads re-run
    before them had read: the graph is rebuilt with the new values."""


def _restale(g: WGraph) -> bool:
    """Give every read whose write now stores another value that value; True if any."""
    stale = False
    for e in list(g.events.values()):
        if e.reads and e.rf is not None and not e.blocked:
            src = g.events[e.rf]
            if not src.writes:  # an RMW that now fails: nothing to read from
                raise Misspeculation(e.tid, e.idx)
            value = src.written_value
            if not _same_value(value, e.read_value):
                now = outcome(e, value)
                if now.writes != e.writes:
                    raise Misspeculation(e.tid, e.idx)  # an RMW that fails or succeeds now
                g.events[e.ref] = now
                stale = True
    return stale


def _reads_a_failed_rmw(g: WGraph) -> bool:
    """Whether an event of ``g`` reads from one that no longer writes (an RMW a revisit
    made fail): not a graph, and its re-run would drop it."""
    events = g.events
    return any(e.reads and e.rf is not None and not events[e.rf].writes for e in events.values())


def _may_fail(e: WEvent, stored: dict[int, list[Any]], inits: list[Any]) -> bool:
    """Whether ``e`` is a successful RMW ordered by its annotation (``mb``,
    ``acquire``, ``release``) that a revisit may make fail: a conditional one
    (:class:`~pagerace.core.ops.Conditional`: the kernel's ``cmpxchg``,
    ``atomic_add_unless``, ``atomic_inc_not_zero``), or one whose function fails on a
    value its location may hold: its initial one, one a write stored there in a graph
    of the exploration so far (``stored``, :meth:`Trust._take`), 0 or 1."""
    if e.kind is not EventKind.RMW or e.fn is None or e.annot not in _ORDERING_RMW:
        return False
    if e.name in SPINLOCK_PRIMITIVES or e.lid is None:
        return False
    if isinstance(e.fn, Conditional):
        return True
    for v in (inits[e.lid], *stored.get(e.lid, ()), 0, 1):
        try:
            if e.fn(v)[0] is NO_WRITE:
                return True
        except Exception:  # (a value the model's code cannot take)
            continue
    return False


def _note(values: list[Any], v: Any) -> None:
    """Add ``v`` to ``values`` unless it is there (or ``values`` holds 16 already)."""
    if len(values) < 16 and not any(_same_value(v, x) for x in values):
        values.append(v)


def _same_value(a: Any, b: Any) -> bool:
    return a is b or (type(a) is type(b) and bool(a == b))


def _unsimulated(op: Op) -> bool:
    """An access to a ghost word the graph explorer leaves out (RCU's)."""
    return op.loc is not None and op.loc.lid < 0


def outcome(ev: WEvent, old: Any, **also: Any) -> WEvent:
    """What ``ev`` (a read, an RMW or an await), changed by ``also``, does when it reads
    ``old``: an await that cannot proceed waits (blocked); an RMW succeeds (reads and
    writes) or fails."""
    fn, cond = also.get("fn", ev.fn), also.get("cond", ev.cond)
    if cond is not None and not cond(old):
        return _blocked(ev, read_value=old, **also)
    if fn is None:
        kind, new = EventKind.LOAD, NO_WRITE
    else:
        new, _ = fn(old)
        kind = EventKind.RMW_FAIL if new is NO_WRITE else EventKind.RMW
    if new is NO_WRITE:
        return _with(
            ev, read_value=old, blocked=False, kind=kind, writes=False, written_value=None, **also
        )
    if ev.lock is not None:
        kind = EventKind.LOCK if ev.lock.action == "acquire" else EventKind.UNLOCK
    return _with(
        ev, read_value=old, blocked=False, kind=kind, writes=True, written_value=raw(new), **also
    )


def _blocked(ev: WEvent, **also: Any) -> WEvent:
    kind = EventKind.LOAD if also.get("fn", ev.fn) is None else EventKind.RMW_FAIL
    return _with(ev, kind=kind, writes=False, written_value=None, blocked=True, **also)


def to_graph(g: WGraph, world: World) -> ExecutionGraph:
    """The model's view: events in the order they were added."""
    locs = world.locations
    events = [
        Event(
            e.ref, e.tid, e.idx, e.kind, e.name, e.annot,
            None if e.lid is None else locs[e.lid].name, e.lid, e.reads, e.writes,
            e.read_value, e.written_value, e.rf, e.addr, e.data, e.ctrl,
            None if e.lock is None else e.lock.key, e.detail, e.src, None,
            None if e.lock is None else e.lock.cls,
        )
        for e in sorted(g.events.values(), key=lambda e: e.stamp)
    ]  # fmt: skip
    co = {locs[lid].name: list(ws) for lid, ws in g.co.items() if ws}
    return ExecutionGraph(events, co)


@dataclass(slots=True)
class _Rerun:
    """A partial graph of :meth:`Trust._rerouted`: ``turn`` is the re-run thread at
    work, ``i`` its next kept event to match, ``moved`` each matched event's old
    reference and new one."""

    graph: WGraph
    turn: int
    i: int
    moved: dict[int, int]


class Trust:
    """The exploration: ``run()`` calls ``on_outcome`` once per consistent complete
    execution (its return value True stops the search)."""

    def __init__(
        self,
        program: Program,
        model: MemoryModel,
        on_outcome: Callable[[Outcome], bool],
        max_events: int = 5000,
    ) -> None:
        self.program, self.model, self.on_outcome = program, model, on_outcome
        self.porf_cycles: bool = getattr(model, "porf_cycles", False)
        self.coherent: bool = getattr(model, "coherent", False)
        self.sinks: bool = getattr(model, "sinks", False)
        self.max_events = max_events
        self.stats = TrustStats()
        self.speculated: set[tuple[object, ...]] = set()
        self.queued: set[tuple[object, ...]] = set()
        # The values writes stored at each location, in any graph so far (_may_fail).
        self.stored: dict[int, list[Any]] = {}
        # (graph, whether the model accepted it: asked again after the re-run if not)
        self.work: list[tuple[WGraph, bool]] = []
        self.bounded = False

    def run(self) -> bool:
        """True when every execution was explored."""
        self.work = [(WGraph(), False)]
        while self.work:
            g, checked = self.work.pop()
            if self._visit(g, checked):
                return False
        return not self.bounded

    def replay(self, steps: list[ReplayStep], capture: bool = False) -> bool:
        """Rebuild one execution from :func:`decode_execution` steps and report it
        through ``on_outcome`` (``capture``: with each event's model source line);
        False when the steps do not fit the program.

        A load-buffering execution has a read whose write comes later in every order of
        the steps: the read first returns the value the token gives it (else the
        location's initial value), and the build is repeated with the values those
        writes stored until nothing changes (without dependency cycles, which the model
        forbids, the values settle)."""
        ahead: dict[int, Any] = {}  # read ref -> the value of a write built after it
        for _ in range(len(steps) + 1):
            g = WGraph()
            live = _Live(self.program, g, capture)
            try:
                built = self._rebuild(live, steps, ahead)
                if built is None:
                    return False
                if built:
                    continue  # a value read ahead changed: build again
                if any(p is not None for p in live.pending) or not self._consistent(live):
                    return False
                self._complete(live)
                return True
            finally:
                live.close()
        return False

    def _rebuild(self, live: _Live, steps: list[ReplayStep], ahead: dict[int, Any]) -> bool | None:
        """One build of ``steps``; None when they do not fit the program, True when a
        read of a later write returned another value than that write stored."""
        g = live.graph
        placed: list[tuple[int, int | None, int]] = []
        for tid, rf, pos, given in steps:
            if not 0 <= tid < len(live.pending) or live.pending[tid] is None:
                return None
            op = live.pending[tid]
            assert op is not None
            if rf is None or rf in g.events:
                ev = live.event_for(tid, op, rf, g.stamp)
            elif op.loc is None or op.kind is OpKind.STORE:
                return None
            else:  # reads from a write not built yet
                ref = tid * REF + g.lens[tid]
                guess = live.inits[op.loc.lid] if given is None else given
                try:
                    ev = live.event_for(tid, op, None, g.stamp, ahead.get(ref, guess))
                    ev = _with(ev, rf=rf)
                except Exception:  # a guess the model's code cannot take
                    if ref in ahead:
                        raise
                    return None
            live.advance(tid, ev)
            if ev.writes:
                placed.append((ev.ref, ev.lid, pos or 0))
        for ref, lid, pos in sorted(placed, key=lambda x: x[2]):
            assert lid is not None
            g.co.setdefault(lid, []).insert(pos, ref)
        changed = False
        for e in g.events.values():
            if e.reads and e.rf is not None and e.rf in g.events:
                stored = g.events[e.rf].written_value
                if g.events[e.rf].stamp > e.stamp and e.read_value != stored:
                    ahead[e.ref] = stored
                    changed = True
            elif e.reads and e.rf is not None:
                return None
        return changed

    # -- one graph off the work list, extended in place as far as it goes ------------
    def _visit(self, g: WGraph, checked: bool) -> bool:
        """Re-run the threads on ``g``, then extend the graph step by step, each step by
        the first of its choices the model accepts, the others onto the work list.
        ``checked``: the model accepted ``g`` before it was queued."""
        self.stats.replays += 1
        for _ in range(len(g.events) + 1):
            try:
                live = _Live(self.program, g)
                break
            except Misspeculation:
                self.stats.misspeculated += 1
                return False
            except Restale:
                continue
        else:
            self.stats.misspeculated += 1  # values that never settle
            return False
        try:
            if g.events and not checked and not self._consistent(live):
                return False
            if g.fresh:
                # The RMWs a revisit gave a source write anew: they revisit the reads
                # of their prefix (load buffering; any other read was deleted or added
                # before them, left to the routes TruSt takes).
                fresh, g.fresh = g.fresh, ()
                for ref, inside in fresh:
                    e = g.events[ref]
                    if e.writes:
                        self._revisits(live, e, inside)
            while True:
                if len(g.events) > self.max_events:
                    self.bounded = True
                    return False
                step = self._next(live)
                if step is None:
                    return self._complete(live)
                choices, conflicts = step
                for c in conflicts:
                    self._revisits(live, c)
                if not self._take(live, choices):
                    return False
        finally:
            live.close()

    def _take(self, live: _Live, choices: list[WEvent]) -> bool:
        """Add one of ``choices``, the events a step may make (a read: one per write it
        may read from; a write: one, at each coherence placement), the first the model
        accepts, and queue the others it accepts: asked now, on copies in this build,
        a rejected choice costs no re-run of the threads (most are rejected).  A write
        (an RMW too) first backward-revisits the reads it may revisit, whether or not
        the model accepts it (as TruSt, which asks about an RMW's read part alone
        first).  False when the model accepts none."""
        g = live.graph
        options: list[tuple[WEvent, int | None]] = []  # (event, co placement)
        for ev in choices:
            if ev.writes:
                if self.porf_cycles and ev.lid is not None:
                    _note(self.stored.setdefault(ev.lid, []), ev.written_value)
                self._revisits(live, ev)
                options += [(ev, p) for p in self._placements(g, ev)]
            else:
                options.append((ev, None))
        if self.coherent:
            options = [(ev, p) for ev, p in options if self._coherent(g, ev, p)]
            if not options:
                return False
        if len(options) == 1:
            ev, p = options[0]
            self._add(live, ev, p)
            # (an irq save or restore is no event of the model's: nothing to ask)
            return ev.kind is EventKind.LOCAL or self._sink(g, ev, p) or self._consistent(live)
        accepted = []
        for ev, p in options:
            h = g.copy()
            h.add(ev)
            if ev.writes:
                _place(h, ev.ref, ev.lid, p)
            if self._sink(g, ev, p) or self._accepts(live, h):
                accepted.append((ev, p, h))
        if not accepted:
            return False
        for _, _, h in accepted[1:]:
            self.work.append((h, True))  # (this build's graph: its values are settled)
        self._add(live, *accepted[0][:2])
        return True

    def _sink(self, g: WGraph, ev: WEvent, placement: int | None) -> bool:
        """Whether ``ev``, added to ``g`` (which the model accepted), is accepted
        unasked: under a model with ``sinks`` (see
        :class:`~pagerace.models.base.MemoryModel`), an access or plain fence that
        reads the co-latest write of its location and is written co-last has no
        ``po``, ``rf``, ``co`` or ``fr`` edge out of it, so no cycle of the model
        passes through it.  (``g`` is the graph before ``ev``; ``ev`` is its
        thread's newest event.)"""
        if not self.sinks:
            return False
        if ev.kind is EventKind.FENCE:
            return ev.annot in _PLAIN_FENCES
        if ev.kind not in _SINK_KINDS or ev.name in SPINLOCK_PRIMITIVES or ev.annot in _UNSINKABLE:
            return False
        ws = g.co.get(ev.lid, []) if ev.lid is not None else []
        last = ws[-1] if ws else None
        return (not ev.reads or ev.rf == last) and (not ev.writes or placement == last)

    def _coherent(self, g: WGraph, ev: WEvent, placement: int | None) -> bool:
        """Whether ``ev``, its thread's newest event, reading from ``ev.rf`` and (a
        write) placed in co after ``placement``, keeps its location coherent with the
        accesses before it in its thread (no CoRR, CoWR, CoRW or CoWW pattern: with
        co total per location, these two-event patterns are all a coherence cycle
        needs).  False counts as a graph the model rejects."""
        if ev.lid is None:
            return True
        ws = g.co.get(ev.lid, [])

        def pos(w: int | None) -> int:
            return -1 if w is None else ws.index(w)

        src = pos(ev.rf) if ev.reads else 0
        at = pos(placement) if ev.writes else 0  # ev goes right after this position
        base = ev.ref - ev.idx
        for x in range(base, ev.ref):
            e = g.events.get(x)
            if e is None or e.lid != ev.lid:
                continue
            seen = pos(e.ref) if e.writes else pos(e.rf)  # what e wrote or read
            if (ev.reads and src < seen) or (ev.writes and at < seen):
                self.stats.inconsistent += 1
                return False
        return True

    def _add(self, live: _Live, ev: WEvent, placement: int | None) -> None:
        live.advance(ev.tid, ev)
        if ev.writes:
            _place(live.graph, ev.ref, ev.lid, placement)

    def _accepts(self, live: _Live, g: WGraph) -> bool:
        """Whether the model accepts ``g`` (in ``live``'s world)."""
        return self._accepted(to_graph(g, live.world), g, live.inits)

    def _accepted(self, view: ExecutionGraph, g: WGraph, inits: list[Any]) -> bool:
        """Whether the model accepts ``view``, the view of ``g`` (partial or complete).
        Under a model where an RMW that fails orders nothing (the LKMM), a revisit that
        makes a successful one fail can make consistent the completions of a graph the
        model rejects: a graph whose RMWs that may yet fail (:func:`_may_fail`), taken
        as relaxed, the model accepts, is accepted ``provisional``, and asked again
        once complete (:meth:`_complete`)."""
        if not g.provisional:  # (else the model rejects it as it rejected its prefix)
            axiom = self.model.violation(view)
            if axiom is None:
                return True
            self.stats.inconsistent += 1
            if not self.porf_cycles or axiom not in _ORDERING_AXIOMS:
                return False  # (coherence and atomicity do not depend on annotations)
        relaxed = self.relaxed(view, g, inits)
        if relaxed is None or self.model.violation(relaxed) is not None:
            return False
        g.provisional = True
        self.stats.provisional += 1
        return True

    def relaxed(self, view: ExecutionGraph, g: WGraph, inits: list[Any]) -> ExecutionGraph | None:
        """``view`` (of ``g``) with its RMWs that may yet fail (:func:`_may_fail`)
        annotated ``relaxed``, as :meth:`_accepted` asks a provisional graph (None: it
        has none)."""
        weak = {e.ref for e in g.events.values() if _may_fail(e, self.stored, inits)}
        if not weak:
            return None
        events = [e._replace(annot="relaxed") if e.eid in weak else e for e in view.events]
        return ExecutionGraph(events, {k: list(v) for k, v in view.co_order.items()})

    def _queue(self, live: _Live, g: WGraph, lid: int) -> None:
        """Put ``g`` (a revisit's result: a read of location ``lid`` took a new source)
        on the work list, unless the model rejects it: asked now, a rejected graph
        costs no re-run of the threads.  Under a model that promises coherence, the
        one location whose rf or co changed is checked first, without the model (most
        revisits break it: :func:`_coherent_at`).  A graph whose
        values a re-run may change (``speculative``: a read revisited inside its write's
        prefix) is asked again once re-run: the model's answer depends on the events,
        their kinds, rf and co, not on the values (but for whether a
        ``spin_is_locked`` saw the lock held, which coherence fixes for a read inside
        its own critical section), and a re-run that changes a kind drops the graph
        (:class:`Misspeculation`)."""
        if g.speculative and _reads_a_failed_rmw(g):
            self.stats.misspeculated += 1  # as its re-run would find (_restale)
            return
        if self.coherent and not _coherent_at(g, lid):
            self.stats.inconsistent += 1  # (the model, asked, would say "coherence")
            return
        if g.speculative and self._built_before(g):
            self.stats.rebuilt += 1
            return
        if self._accepts(live, g):
            self.work.append((g, not g.speculative))

    def _built_before(self, g: WGraph) -> bool:
        """Whether a load-buffering revisit result with ``g``'s events, rf and co was
        built before (and noted now if not).  A cycle may be closed last by any of
        its reads (:func:`_another_route` leaves only routes known to exist to
        others); the routes that end in the same revisit result are re-run once: the
        second is dropped here, before its re-run."""
        key = g.key()
        if key in self.queued:
            return True
        self.queued.add(key)
        return False

    def _next(self, live: _Live) -> tuple[list[WEvent], list[WEvent]] | None:
        """The lowest thread with a pending op, the events its step may make (one per
        write a read may read from), and the successful RMWs it could make only by
        reading a write another RMW already read (atomicity forbids the graph, but it
        revisits that RMW: GenMC's treatment of conflicting RMWs)."""
        g = live.graph
        for tid, op in enumerate(live.pending):
            if op is None:
                continue
            stamp = g.stamp
            if op.loc is None or op.kind is OpKind.STORE:
                return [live.event_for(tid, op, None, stamp)], []
            lid = op.loc.lid
            sources: list[int | None] = [None, *g.co.get(lid, [])]
            sources.reverse()  # the co-latest first: runs look like SC runs first
            evs, conflicts = [], []
            for i, w in enumerate(sources):
                ev = live.event_for(tid, op, w, stamp)
                if op.cond is not None and not op.cond(live.read_value(ev)):
                    if i == 0:  # waits on the latest value, for a write to revisit it
                        evs.append(_blocked(ev))
                    continue
                if ev.writes and _rmw_reads(g, w, lid):
                    conflicts.append(ev)
                    continue
                evs.append(ev)
            return evs, conflicts
        return None

    def _consistent(self, live: _Live) -> bool:
        # kept for _complete: the model keeps the relations of the graph it was last asked
        # about (after a step of several choices, asked on copies, they are worked out again)
        live.view = to_graph(live.graph, live.world)
        return self._accepted(live.view, live.graph, live.inits)

    def _placements(self, g: WGraph, ev: WEvent) -> list[int | None]:
        """Where a new write may go in co: after these writes (None: first).  An RMW goes
        right after the write it read; nothing may come between a write and the RMW
        that read it.  A write of the graph (a new branch's, writing anew: ``fresh``)
        keeps its place."""
        assert ev.lid is not None
        if ev.reads:
            return [ev.rf]
        ws = g.co.get(ev.lid, [])
        if ev.ref in ws:
            at = ws.index(ev.ref)
            return [ws[at - 1] if at else None]
        out: list[int | None] = []
        for i, w in enumerate([None, *ws]):
            nxt = ws[i] if i < len(ws) else None
            if nxt is not None and g.events[nxt].reads and g.events[nxt].rf == w:
                continue
            out.append(w)
        out.reverse()  # co-last first
        return out

    # -- backward revisits ------------------------------------------------------------
    def _revisits(self, live: _Live, w: WEvent, inside: bool = False) -> None:
        """Queue the graphs where ``w``, a write about to be added (``inside``: an RMW
        of the graph a revisit gave a source, its write part added anew), revisits a
        read (``inside``: in its prefix only)."""
        g = live.graph
        assert w.lid is not None
        prefix = g.porf_prefix_of_new(w)
        inits = [loc.init for loc in live.world.locations] if self.porf_cycles else []
        reads = sorted(
            (
                e
                for e in g.events.values()
                if e.reads and e.lid == w.lid and e.ref != w.ref and (e.ref in prefix or not inside)
            ),
            key=lambda e: -e.stamp,
        )
        # Reads inside the prefix that may read from w as well (load buffering): one
        # write can close several cycles through one thread's reads at once.  An RMW
        # among them that succeeds goes right after w in co (one at most: atomicity).
        along = [
            e
            for e in reads
            if self.porf_cycles and e.ref in prefix and _speculable(g, e, w, prefix)
        ]
        # Reads inside the prefix whose new value would take their thread down another
        # branch: their threads are re-run (_rerouted).
        turning = [
            e
            for e in reads
            if self.porf_cycles
            and e.ref in prefix
            and e not in along
            and _branches(g, e, w, prefix)
        ]
        for r in reads:
            speculative = r.ref in prefix
            if speculative and not (r in along or r in turning):
                continue
            deleted = {e.ref for e in g.events.values() if e.stamp > r.stamp} - prefix
            if not self._maximal(g, r, deleted, prefix, speculative, w.ref):
                continue
            first = [r] if r in turning else []
            for turns in _subsets([e for e in turning if e.stamp > r.stamp]):
                turns = (*first, *turns)
                rerun = {x.tid: x.idx for x in turns}
                if len(rerun) < len(turns):
                    continue  # (one re-run per thread, from its earliest turning read)
                for also in _subsets([e for e in along if e.stamp > r.stamp]):
                    if any(rerun.get(x.tid, x.idx) < x.idx for x in also):
                        continue  # (a re-run thread's later read is matched, not revisited)
                    if turns:
                        self._reroute(live, g, r, w, deleted, inits, also, turns)
                        continue
                    g2 = _revisited(g, r, w, deleted, also, speculative)
                    writers = [x.ref for x in (r, *also) if g2.events[x.ref].writes]
                    if len(writers) > 1:
                        continue  # two RMWs reading one write: not atomic
                    if speculative and _another_route(g, g2, r, w, inits, also):
                        continue  # the graph's other route makes it
                    g2.speculative = g.speculative or speculative or bool(also)
                    if self.porf_cycles:
                        g2.fresh = tuple((x, True) for x in writers)
                    for p in self._placements(g2, w):
                        g3 = g2.copy()
                        _place(g3, w.ref, w.lid, p)
                        for x in writers:
                            _place(g3, x, w.lid, w.ref)
                        self.stats.revisits += 1
                        self._queue(live, g3, w.lid)

    def _reroute(
        self,
        live: _Live,
        g: WGraph,
        r: WEvent,
        w: WEvent,
        deleted: set[int],
        inits: list[Any],
        also: tuple[WEvent, ...],
        turns: tuple[WEvent, ...],
    ) -> None:
        """Queue the revisits of ``r`` (and ``also``, ``turns``) by ``w`` where the
        threads of ``turns`` are re-run down another branch (:meth:`_rerouted`)."""
        assert w.lid is not None
        for g3, new_writes in self._rerouted(g, r, w, deleted, also, turns):
            remade = {x for x in g3.events if any(x // REF == t.tid and x > t.ref for t in turns)}
            g3.fresh = (
                *((x.ref, True) for x in (r, *also, *turns) if g3.events[x.ref].writes),
                *((x, False) for x in new_writes),
            )
            if not _another_route(g, g3, r, w, inits, (*also, *turns[r in turns :]), remade):
                self.stats.revisits += 1
                self.stats.rerouted += 1
                self._queue(live, g3, w.lid)

    def _rerouted(
        self,
        g: WGraph,
        r: WEvent,
        w: WEvent,
        deleted: set[int],
        also: tuple[WEvent, ...],
        turns: tuple[WEvent, ...],
    ) -> list[tuple[WGraph, list[int]]]:
        """The revisits of ``r`` by ``w`` (with ``also``, the prefix's reads taken
        along) where each read of ``turns`` (in ``w``'s ``porf`` prefix, one per thread,
        ``r`` among them or not) reads ``w`` too and its new value takes its thread
        down another branch (:func:`_branches`).  Each such thread is re-run from that
        read with the new value, and its kept events after it (those in ``w``'s prefix)
        are matched, in order, with the events it now makes: the same operation (name,
        location, annotation) keeps its stamp, coherence place and source (another,
        when that one is no longer coherent with the thread's new events, or is gone),
        under its new ``po`` index.  A kept event the thread no longer makes is dropped
        (while it makes others, unless an event of another thread reads from it); an
        event the old branch did not make is added as a step would add it, once per
        source or coherence place (each a graph), stamped just before the kept event
        after it.  When the thread ends before its last kept event, the rest is
        dropped, and another thread's read of a write dropped takes another write of
        the value it read (:func:`_matched`).  Each graph comes
        with the writes the new branches made (no step added them: they revisit reads
        once the graph is re-run, ``WGraph.fresh``).  The re-run with the new values
        (the graphs are speculative) checks every thread against its graph, as for any
        load-buffering revisit."""
        taken = (*also, *(t for t in turns if t is not r))
        g2 = _revisited(g, r, w, deleted, taken, r.ref in g.porf_prefix_of_new(w))
        writers = [x.ref for x in (r, *taken) if g2.events[x.ref].writes]
        if len(writers) > 1:
            return []  # two RMWs reading one write: not atomic
        olds = [
            [g2.events[x] for x in range(t.ref + 1, t.ref - t.idx + g2.lens[t.tid])] for t in turns
        ]
        token = {e.ref: -1 - e.ref for old in olds for e in old}  # a place until matched
        needed = {e.rf for e in g2.events.values() if e.rf in token and e.tid != e.rf // REF}
        base = g2.copy()
        for t, old in zip(turns, olds, strict=True):
            for e in old:
                del base.events[e.ref]
            base.lens[t.tid] = t.idx + 1
        for x, e in list(base.events.items()):
            if e.rf in token:
                base.events[x] = _with(e, rf=token[e.rf])
        base.co = {lid: [token.get(x, x) for x in ws] for lid, ws in g2.co.items()}
        out: list[tuple[WGraph, list[int]]] = []
        stack: list[_Rerun] = []
        for p in self._placements(g2, w):  # (the threads' new events are placed after)
            h = base.copy()
            _place(h, w.ref, w.lid, p if p is None else token.get(p, p))
            for x in writers:
                _place(h, x, w.lid, w.ref)
            stack.append(_Rerun(h, 0, 0, {}))
        for _ in range(_REROUTE_BUDGET):
            if not stack:
                break
            at = stack.pop()
            try:
                live = _Live(self.program, at.graph)
            except (Misspeculation, Restale):
                continue
            try:
                while at.turn < len(turns):
                    at.i = self._rerun(live, turns, olds, at, needed, token, stack)
                    if at.i < len(olds[at.turn]):
                        break
                    at.turn, at.i = at.turn + 1, 0
            finally:
                live.close()
            if at.turn == len(turns):
                old = [e for old in olds for e in old]
                matched = set(at.moved.values())
                new_writes = [
                    x
                    for x, e in at.graph.events.items()
                    if any(x // REF == t.tid and x > t.ref for t in turns)
                    and x not in matched
                    and e.writes
                ]
                for done in _matched(at.graph, old, at.moved, token, new_writes):
                    out.append((done, new_writes))
        if stack:
            self.stats.cut += 1  # (the rest of this revisit's re-runs are not tried)
        return out

    def _rerun(
        self,
        live: _Live,
        turns: tuple[WEvent, ...],
        olds: list[list[WEvent]],
        at: _Rerun,
        needed: set[int],
        token: dict[int, int],
        stack: list[_Rerun],
    ) -> int:
        """:meth:`_rerouted`'s steps of the thread of ``turns[at.turn]`` in ``live``,
        from ``old[at.i]``, the next kept event to match (``old``: that thread's), while
        each has one choice; at a step of several, each goes on ``stack`` (a partial
        graph of its own).  Returns how far ``old`` got (-1: no graph)."""
        g, moved, i = live.graph, at.moved, at.i
        tid, old = turns[at.turn].tid, olds[at.turn]
        later = {t.tid for t in turns[at.turn + 1 :]}  # threads not re-run yet
        most = turns[at.turn].idx + 1 + len(old) + _NEW_EVENTS
        while i < len(old):
            op = live.pending[tid]
            if op is None:
                # It ended: the rest is dropped, and other threads' reads of it take
                # other writes (_matched).  (Without such a read, the graph is another
                # route's: an ordinary revisit deletes those events.)
                return len(old) if any(x.ref in needed for x in old[i:]) else -1
            if g.lens[tid] >= most:
                return -1  # (it loops in its new branch: a retry reading alike)
            key = (None if op.loc is None else op.loc.lid, op.name, op.annot)
            j = next((j for j in range(i, len(old)) if _op_key(old[j]) == key), None)
            if j is not None and any(x.ref in needed for x in old[i:j]):
                j = None  # (it keeps the events other threads read: a new event)
            e = None if j is None else old[j]
            if e is not None:
                stamp = e.stamp
            else:  # just before the next kept event, after the thread's last event
                last = g.events[tid * REF + g.lens[tid] - 1].stamp
                stamp = (max(last, old[i].stamp - 1) + old[i].stamp) / 2
            choices: list[tuple[WEvent, int | None]] = []
            if op.loc is None or op.kind is OpKind.STORE:
                ev = live.event_for(tid, op, None, stamp)
                if not ev.writes:
                    choices = [(ev, None)]
                elif e is not None:
                    choices = [(ev, token[e.ref])]  # its coherence place
                else:
                    choices = [(ev, p) for p in _places(g, ev.lid)]
            else:
                lid = op.loc.lid
                every: list[int | None] = [None, *(x for x in g.co.get(lid, []) if x >= 0)]
                if e is not None and e.rf in token and e.rf // REF in later:
                    # A write of a thread re-run later: read as it was (matched then).
                    tok = token[e.rf]
                    ev = _with(live.event_for(tid, op, None, stamp, e.read_value), rf=tok)
                    choices = [(ev, tok)] if self._coherent(g, ev, tok) else []
                elif e is not None and (e.rf not in token or e.rf in moved):
                    src = e.rf if e.rf is None else moved.get(e.rf, e.rf)
                    if src is None or g.events[src].writes:  # (an RMW may fail now)
                        choices = self._reads(live, tid, op, [src], stamp)
                if not choices:  # none kept, or its source is no longer coherent
                    choices = [
                        (_with(ev, chosen=True), p)
                        for ev, p in self._reads(live, tid, op, every, stamp)
                    ]
            if e is not None and e.ref in needed:
                choices = [(ev, p) for ev, p in choices if ev.writes]
            if not choices:
                return -1
            after = i if j is None else j + 1
            for ev, p in choices[1:]:
                h = g.copy()
                h.add(ev)
                _reroute_place(h, ev, p, e, token)
                m = {**moved, **({} if e is None else {e.ref: ev.ref})}
                stack.append(_Rerun(h, at.turn, after, m))
            ev, p = choices[0]
            live.advance(tid, ev)
            _reroute_place(g, ev, p, e, token)
            if e is not None:
                moved[e.ref] = ev.ref
            i = after
        return i

    def _reads(
        self, live: _Live, tid: int, op: Op, sources: list[int | None], stamp: float
    ) -> list[tuple[WEvent, int | None]]:
        """The events thread ``tid``'s read ``op`` makes reading each of ``sources``
        that keeps its location coherent (an await that would wait, or an RMW reading
        what another RMW read, left out), each with its source."""
        g = live.graph
        out: list[tuple[WEvent, int | None]] = []
        for src in sources:
            ev = live.event_for(tid, op, src, stamp)
            if ev.blocked or (ev.writes and ev.lid is not None and _rmw_reads(g, src, ev.lid)):
                continue
            if self._coherent(g, ev, src):
                out.append((ev, src))
        return out

    def _maximal(
        self,
        g: WGraph,
        r: WEvent,
        deleted: set[int],
        prefix: set[int],
        speculative: bool,
        w: int | None = None,
    ) -> bool:
        """TruSt's condition: ``r`` and every deleted event were added maximally, so
        that the revisit happens from one graph only.  A read inside the prefix
        (``speculative``) is not checked: what it read before is not canonical (it was
        never deleted and re-added): :func:`_another_route` leaves some routes to a
        load-buffering graph to others, and :meth:`_built_before` drops a revisit
        result built a second way."""
        for ref in (*deleted, *(() if speculative else (r.ref,))):
            e = g.events[ref]
            if e.kind in (EventKind.FENCE, EventKind.LOCAL):
                continue

            def previous(x: int | None, e: WEvent = e) -> bool:
                return x is None or x in prefix or g.events[x].stamp <= e.stamp

            if e.writes and any(
                o.rf == e.ref and o.stamp < e.stamp for o in g.events.values() if o.reads
            ):
                return False  # e revisited a read
            src = e.ref if e.writes else e.rf
            if not previous(src):
                return False
            ws = g.co.get(e.lid, []) if e.lid is not None else []
            later = ws[ws.index(src) + 1 :] if src is not None and src in ws else ws
            if src is None:
                later = ws
            if any(previous(x) for x in later if x not in (e.ref, w)):
                return False
        return True

    def _complete(self, live: _Live) -> bool:
        g = live.graph
        waiting = [e for e in g.events.values() if e.blocked]
        for e in waiting:
            ws = g.co.get(e.lid, []) if e.lid is not None else []
            if (ws[-1] if ws else None) != e.rf:
                # It waits on a value a later write replaced: not an execution (the
                # one where it reads that write is reached by a revisit).
                self.stats.blocked += 1
                return False
        if g.provisional:
            live.view = to_graph(g, live.world)
            if self.model.violation(live.view) is not None:
                self.stats.unconfirmed += 1  # (its RMW that may fail did not)
                return False
        if g.speculative:
            # TruSt's maximality makes every porf-acyclic graph reachable one way only;
            # a load-buffering graph reached by a second route is dropped when queued
            # (_built_before); one through another partial graph of it (the other
            # threads' events added before or after) is recognised here.
            key = g.key()
            if key in self.speculated:
                self.stats.duplicates += 1
                return False
            self.speculated.add(key)
        self.stats.executions += 1
        world = live.world
        final = {loc.lid: loc.init for loc in world.locations}
        for lid, ws in g.co.items():
            if ws:
                final[lid] = live.written_value(g.events[ws[-1]])
        for lid, v in final.items():
            world.mem[lid] = v
        findings = self._findings(live, [e.tid for e in waiting])
        return self.on_outcome(
            Outcome(
                live.view or to_graph(g, world), world, findings, [e.tid for e in waiting], final
            )
        )

    def _findings(self, live: _Live, waiting: list[int]) -> list[Finding]:
        g, world = live.graph, live.world
        out: list[Finding] = []
        for tid, d in enumerate(live.done):
            if isinstance(d, Finding):
                out.append(d._replace(tid=tid))
        for e in sorted(g.events.values(), key=lambda e: e.stamp):
            loc = world.locations[e.lid] if e.lid is not None else None
            if e.check is not None and e.reads and not e.blocked:
                msg = e.check(e.read_value)
                if msg:
                    out.append(Finding("lock-lost", msg, e.tid, e.ref, check=f"lock-lost:{e.name}"))
            if loc is not None and e.writes and loc.floor is not None:
                v = e.written_value
                if isinstance(v, int) and v < loc.floor:
                    out.append(Finding(
                        "refcount-underflow",
                        f"{loc.name} went to {v}, below its floor {loc.floor} ({e.name})",
                        e.tid, e.ref, check=f"underflow:{loc.name}",
                    ))  # fmt: skip
        out += _lock_findings(g, world, live.done)
        if waiting:
            names = ", ".join(world.threads[t][0] for t in waiting)
            out.append(Finding("deadlock", f"every live thread waits: {names}", check="deadlock"))
        else:
            for name, fn in world.end_checks:
                msg = fn(world)
                if msg:
                    out.append(Finding("invariant", f"{name}: {msg}", check=name))
        return out


def _speculable(g: WGraph, r: WEvent, w: WEvent, prefix: set[int]) -> bool:
    """Whether ``r``, in ``w``'s ``porf`` prefix, may read from ``w`` (load buffering)
    with the rest of the graph kept.  ``w`` is in another thread and does not read from
    what changes; an await ``r`` keeps proceeding.  From ``r``, the new value reaches:
    the stores of its thread whose data depends on it (re-run, they store new values),
    an RMW ``r`` that would store another value, and, through the reads of those
    writes, their threads in turn.  No kept event may have an address or control
    dependency on a read it reaches (dependencies are recorded on every value a read
    returns, so without one a re-run thread makes the same events), no RMW a data
    dependency (it could succeed or fail otherwise), and no RMW or await reading ``r``'s
    own write would succeed, fail or wait otherwise (:func:`_turns`).  The model then
    decides whether the cycle is allowed (the LKMM's ``hb`` has no ``po`` from a read to
    a later independent write).  A read that gets the value it had (another write of it) changes
    nothing its thread does, whatever depends on it.  A revisit refused for a control
    dependency may be taken by re-running the thread (:func:`_branches`)."""
    if r.tid == w.tid or (w.reads and w.rf == r.ref):
        return False
    if r.ref + 1 in prefix and (r.blocked or (r.cond is not None and not r.cond(w.written_value))):
        return False  # an await that waits ends its thread
    now = outcome(r, w.written_value, rf=w.ref)
    if (
        _same_value(now.read_value, r.read_value)
        and now.kind is r.kind
        and now.blocked == r.blocked
        and _same_value(now.written_value, r.written_value)
    ):
        return True  # r reads the value it read: nothing its thread does changes
    # What the revisit keeps: the prefix, and what was added before r (a read revisited
    # earlier keeps its place in that order, so it may read a write added after r).
    kept = {x for x, e in g.events.items() if x in prefix or e.stamp <= r.stamp}
    readers: dict[int, list[WEvent]] = {}
    for x in kept:
        e = g.events[x]
        if e.reads and e.rf is not None:
            readers.setdefault(e.rf, []).append(e)
    changed: set[int] = set()  # writes whose value may follow r's
    affected, seen = [r], {r.ref}  # reads whose value may follow r's
    while affected:
        a = affected.pop()
        if a is not r and a.rf == r.ref and _turns(a, now):
            return False  # an RMW reading r's write would succeed or fail otherwise
        new = _data_dependents(g, a, kept)  # (kept is closed under po)
        if new is None:
            return False
        if a.writes:
            if a is not r:
                new.append(a.ref)  # known once its thread is re-run
            else:
                now = outcome(r, w.written_value, rf=w.ref)
                if not now.writes or now.written_value != r.written_value:
                    new.append(r.ref)  # an RMW that stores something else (xchg does not)
        for c in new:
            changed.add(c)
            for e in readers.get(c, ()):
                if e.ref not in seen:
                    seen.add(e.ref)
                    affected.append(e)
    if (w.addr | w.ctrl | w.data) & seen:
        return False  # w itself follows a read the new value reaches
    return not (w.reads and w.rf in changed)


def _op_key(e: WEvent) -> tuple[int | None, str, str]:
    return e.lid, e.name, e.annot


def _places(g: WGraph, lid: int | None) -> list[int | None]:
    """Where a new plain write of ``lid`` may go in ``g``'s co (:meth:`Trust._rerun`,
    whose co holds tokens of events not matched yet): after each write or first, but
    not between an RMW and the write it read."""
    assert lid is not None
    ws = g.co.get(lid, [])
    out: list[int | None] = []
    for i, x in enumerate([None, *ws]):
        nxt = g.events.get(ws[i]) if i < len(ws) else None
        if nxt is not None and nxt.reads and nxt.rf == x:
            continue
        out.append(x)
    return out


def _reroute_place(
    g: WGraph, ev: WEvent, p: int | None, e: WEvent | None, token: dict[int, int]
) -> None:
    """Give ``ev``, made by :meth:`Trust._rerun` in the place of ``e`` (None: a new
    event), its coherence place: a plain write takes ``e``'s token (or goes after
    ``p``), an RMW goes right after what it read (``p``)."""
    ws = g.co.get(ev.lid, []) if ev.lid is not None else []
    if e is not None and e.writes and token[e.ref] in ws:
        if ev.writes and not ev.reads:
            ws[ws.index(token[e.ref])] = ev.ref
            return
        ws.remove(token[e.ref])
    if ev.writes:
        _place(g, ev.ref, ev.lid, p)


def _matched(
    g: WGraph,
    old: list[WEvent],
    moved: dict[int, int],
    token: dict[int, int],
    new_writes: list[int],
) -> list[WGraph]:
    """The graphs :meth:`Trust._rerun` built, its tokens for the old events given the
    new references.  A read of another thread that read an old event the re-run no
    longer makes (its thread ended first) reads, in each graph, a write of its location
    the new branches made (``new_writes``) with the value it read, where that keeps the
    location coherent (none: no graph); its thread then makes the same events.  (One
    of a kept write is another route's graph.)"""
    new = {token[e.ref]: moved[e.ref] for e in old if e.ref in moved}
    g.co = {lid: [new.get(x, x) for x in ws if x >= 0 or x in new] for lid, ws in g.co.items()}
    orphans = []
    for x, e in list(g.events.items()):
        if e.rf is not None and e.rf < 0:
            if e.rf in new:
                g.events[x] = _with(e, rf=new[e.rf])
            elif e.writes or e.lid is None:
                return []  # (an RMW would move in co: not tried)
            else:
                orphans.append(x)
    g.speculative = True
    out = [g]
    for x in orphans:
        e = g.events[x]
        assert e.lid is not None
        sources = [w for w in new_writes if g.events[w].lid == e.lid]
        nxt: list[WGraph] = []
        for h in out:
            for src in sources:
                if _same_value(g.events[src].written_value, e.read_value):
                    h2 = h.copy()
                    h2.events[x] = _with(e, rf=src, chosen=True)
                    if _coherent_at(h2, e.lid):
                        nxt.append(h2)
        out = nxt
    return out


def _branches(g: WGraph, r: WEvent, w: WEvent, prefix: set[int]) -> bool:
    """Whether ``r``, a read or RMW (no await) in ``w``'s ``porf`` prefix that
    :func:`_speculable` refuses, may still read from ``w`` by re-running its thread down
    another branch (:meth:`Trust._rerouted`): ``w`` is in another thread and reads
    nothing of ``r``'s thread from it on, and a kept event after ``r`` in its thread has a
    control or address dependency on ``r`` or on a read after it of ``r``'s own write
    (an RMW's), or is an RMW or await reading that write that would now succeed, fail
    or wait otherwise (:func:`_turns`)."""
    if r.tid == w.tid or r.cond is not None:
        return False
    if w.reads and w.rf is not None and w.rf // REF == r.tid and w.rf >= r.ref:
        return False
    reads = {r.ref}
    now = outcome(r, w.written_value, rf=w.ref)
    x = r.ref + 1
    while x in prefix:
        e = g.events[x]
        if (e.ctrl | e.addr) & reads:
            return True
        if e.reads and e.rf == r.ref:
            if _turns(e, now):
                return True
            reads.add(x)
        x += 1
    return False


def _turns(e: WEvent, now: WEvent) -> bool:
    """Whether ``e``, an RMW or await reading the write of ``now`` (an RMW's new
    outcome), would succeed, fail or wait otherwise than it did."""
    if (e.fn is None and e.cond is None) or not now.writes:
        return False  # (a read of an RMW that now fails is revisited too, or dropped)
    after = outcome(e, now.written_value)
    return after.kind is not e.kind or after.blocked != e.blocked


def _readers(g: WGraph) -> dict[int, list[int]]:
    """Each write's readers in ``g``."""
    readers: dict[int, list[int]] = {}
    for e in g.events.values():
        if e.reads and e.rf is not None:
            readers.setdefault(e.rf, []).append(e.ref)
    return readers


def _another_route(
    g: WGraph,
    g2: WGraph,
    r: WEvent,
    w: WEvent,
    inits: list[Any],
    also: tuple[WEvent, ...] = (),
    remade: set[int] | None = None,
) -> bool:
    """Whether the speculative revisit of ``r`` (and ``also``, the prefix's reads it
    takes along) by ``w`` (``g`` -> ``g2``; ``remade``: the events after ``r`` its
    thread, re-run down another branch, made again) is left to another route to ``g2``'s
    completions (:func:`_revisited_before`, :func:`_kept_for_a_later_source`,
    :func:`_kept_past_an_earlier_revisit`, :func:`_speculation_closes_cycles`).  Each
    names a route that reaches the same graphs by another order of revisits, judged
    against herd7's method on generated programs (``bench/lb_vs_candidates.py``, the
    hypothesis tests) and on the scenarios (``bench/lb_routes.py``)."""
    if also:
        before = _readers(g)
        if any(_revisited_before(g, g, x, before, inits) for x in also):
            return True
    readers = _readers(g2)
    if not _speculation_closes_cycles(g2, readers):
        return True
    if _kept_for_a_later_source(g, g2, r, w):
        return True
    if _kept_past_an_earlier_revisit(g2, {r.ref, *(x.ref for x in also), *(remade or ())}):
        return True
    return _revisited_before(g, g2, r, readers, inits)


def _speculation_closes_cycles(g: WGraph, readers: dict[int, list[int]]) -> bool:
    """Whether every read a speculative revisit gave its source (``speculated``: the
    new ones too) is, with that edge, on a ``po | rf`` cycle of ``g``.  One that is
    not (its revisit closed a cycle that a later revisit opened again, or it was taken
    along where only another read's old source put it in the prefix) reads a write
    that is not after it: the route where an ordinary revisit gave it that write
    reaches the same graphs, and only that route is taken."""
    return all(
        e.rf in _following(g, e.ref, readers)
        for e in g.events.values()
        if e.speculated and e.rf is not None
    )


def _kept_past_an_earlier_revisit(g: WGraph, revisited: set[int]) -> bool:
    """Whether ``g``, a speculative revisit's result (``revisited``: the reads it gave
    their new source), keeps an event an earlier revisit would have deleted: a read
    ``x`` reads a write ``v`` added after it (a revisit gave ``x`` that write), and an
    event added between the two is not in ``v``'s ``porf`` prefix.  That revisit kept
    the event because a read then brought it into the prefix, and the read has since
    been given another source (speculatively).  The route where that read first read a
    source that did not bring the event in deletes it at ``v``'s revisit and adds it
    again after ``v``, reaching the same graphs: only that route is taken (TruSt's
    invariant, which a speculative revisit breaks: what a revisit keeps between a read
    and its new source is before that source)."""
    for x, e in g.events.items():
        if x in revisited or not e.reads or e.rf is None or e.chosen:
            continue
        v = g.events[e.rf]
        if v.stamp < e.stamp:
            continue
        prefix = g.porf_prefix_of_new(v)
        if any(e.stamp < o.stamp < v.stamp and y not in prefix for y, o in g.events.items()):
            return True
    return False


def _kept_for_a_later_source(g: WGraph, g2: WGraph, r: WEvent, w: WEvent) -> bool:
    """Whether ``r``, which a speculative revisit by ``w`` gives a new source (``g`` ->
    ``g2``), read in ``g`` from a write added after it (an earlier revisit gave it that
    source), and ``g2`` keeps events added after ``r`` that are no longer in ``w``'s
    ``porf`` prefix: the revisit kept them because ``r`` read that write (the write, and
    what comes before it in its thread).  The route where ``r`` still read the write it
    was added with deletes them (they are outside ``w``'s prefix there too) and adds
    them again after ``w``, reaching the same graphs: only that route is taken."""
    if r.rf is None or r.chosen or g.events[r.rf].stamp < r.stamp:
        return False
    prefix = g2.porf_prefix_of_new(w)
    return any(e.stamp > r.stamp and x not in prefix for x, e in g2.events.items())


def _revisited_before(
    g: WGraph, g2: WGraph, r: WEvent, readers: dict[int, list[int]], inits: list[Any]
) -> bool:
    """Whether ``r``, a plain read a speculative revisit gives a new source (``g`` ->
    ``g2``), reads in ``g`` from a write a revisit gave it (added after it), and
    nothing the revisit keeps follows its value (:func:`_free` in ``g2``).  TruSt asks
    a revisited read to have been added maximally; this one was not, but as nothing
    kept depends on it, the route where it kept the write it was added with reaches the
    same graph, and only that route is taken."""
    return (
        r.rf is not None
        and not r.writes
        and not r.chosen
        and g.events[r.rf].stamp > r.stamp
        and not _read_before_it(g, r)
        and _free(g2, g2.events[r.ref], readers, inits)
    )


def _read_before_it(g: WGraph, r: WEvent) -> bool:
    """Whether a read before ``r`` in its thread reads ``r``'s source in ``g``: then
    ``r`` could not have kept an earlier source while that read was given this one
    (coherence: CoRR), and the route where it did does not exist."""
    return any(
        (e := g.events.get(x)) is not None and e.reads and e.rf == r.rf
        for x in range(r.ref - r.idx, r.ref)
    )


def _kind_kept(g: WGraph, r: WEvent, inits: list[Any]) -> bool:
    """Whether the RMW ``r`` succeeds, or fails, whichever write of its location (or
    the initial value) it reads: another source leaves it the same kind of event."""
    assert r.lid is not None and r.fn is not None
    values = [inits[r.lid], *(g.events[x].written_value for x in g.co.get(r.lid, []))]
    fails = r.kind is EventKind.RMW_FAIL
    try:
        return all((r.fn(v)[0] is NO_WRITE) == fails for v in values)
    except Exception:  # a value the operation cannot take: not the same
        return False


def _following(g: WGraph, src: int, readers: dict[int, list[int]]) -> set[int]:
    """``src`` and every event after it in ``(po | rf)+``."""
    seen: set[int] = set()
    stack = [src]
    while stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        if x + 1 in g.events:
            stack.append(x + 1)
        stack.extend(readers.get(x, ()))
    return seen


def _free(g: WGraph, r: WEvent, readers: dict[int, list[int]], inits: list[Any]) -> bool:
    """Whether a revisit may change what ``r`` reads and nothing else: ``r`` is no
    await, no other RMW or earlier-added read reads its source (a revisit gives one
    read, and the prefix's later plain reads, a new source), and nothing but plain
    stores and reads follows its value: no address or control dependency, no await
    or RMW reading a value it reaches (through data dependencies and the readers of
    those stores), nor its source; an RMW succeeds or fails alike whichever write
    of its location it reads (:func:`_kind_kept`).  Stricter than
    :func:`_speculable`, which knows the new value: a read judged free is one a
    revisit may change whatever it read before."""
    if r.cond is not None:
        return False
    for y in readers.get(r.rf, ()) if r.rf is not None else ():
        e = g.events[y]
        if y != r.ref and (e.fn is not None or e.stamp < r.stamp):
            return False
    affected, seen = [r], {r.ref}
    while affected:
        a = affected.pop()
        if a is not r and (a.cond is not None or a.writes):
            return False
        new = _data_dependents(g, a, g.events)
        if new is None:
            return False
        if a.writes:
            new.append(a.ref)
        for c in new:
            for y in readers.get(c, ()):
                if y not in seen:
                    seen.add(y)
                    affected.append(g.events[y])
    src = g.events[r.rf] if r.rf is not None else None
    if src is not None and (src.addr | src.ctrl | src.data) & seen:
        return False
    return r.fn is None or _kind_kept(g, r, inits)


def _data_dependents(g: WGraph, a: WEvent, within: Container[int]) -> list[int] | None:
    """The stores after ``a`` in its thread (those ``within``, up to the first that is
    not) whose data depends on ``a``; None when one there depends on it by address or
    control, or an RMW by data (it could succeed or fail otherwise)."""
    out: list[int] = []
    x = a.ref + 1
    while x in within:
        e = g.events[x]
        if a.ref in e.addr or a.ref in e.ctrl or (a.ref in e.data and e.reads):
            return None
        if a.ref in e.data:
            out.append(e.ref)
        x += 1
    return out


def _coherent_at(g: WGraph, lid: int) -> bool:
    """Whether location ``lid`` is coherent in ``g`` (acyclic ``po-loc | rf | co |
    fr``).  With ``co`` total, each access has a place in it (a write its own, a read
    its source's, just after it); a cycle exists exactly when, in some thread, an
    access has a place before one of an earlier access (CoRR, CoWR, CoRW, CoWW), since
    every rf, co and fr edge goes forward in co; or when an RMW, one event, does not
    write right after what it read (a write between is fr-after and co-before it)."""
    ws = g.co.get(lid, [])
    pos = {w: i for i, w in enumerate(ws)}
    seen: dict[int, int] = {}  # thread -> the latest place its accesses so far had
    for ref in sorted(x for x, e in g.events.items() if e.lid == lid):
        e = g.events[ref]
        before = seen.get(e.tid, -1)
        if e.rf is not None and e.rf not in pos:
            return True  # (not a write of lid: left to the model)
        src = -1 if not e.reads or e.rf is None else pos[e.rf]
        if e.reads and src < before:
            return False
        if e.writes:
            if ref not in pos:
                return True
            at = pos[ref]
            if at <= before or (e.reads and at != src + 1):
                return False  # (an RMW writes right after what it read: else fr;co)
            src = at
        seen[e.tid] = max(before, src)
    return True


def _rmw_reads(g: WGraph, w: int | None, lid: int) -> bool:
    """Whether a successful RMW already reads from ``w`` (None: the initial write)."""
    return any(e.reads and e.writes and e.rf == w and e.lid == lid for e in g.events.values())


def _place(g: WGraph, ref: int, lid: int | None, after: int | None) -> None:
    assert lid is not None
    ws = g.co.setdefault(lid, [])
    if ref in ws:
        ws.remove(ref)
    ws.insert(0 if after is None else ws.index(after) + 1, ref)


def _subsets(xs: list[WEvent]) -> list[tuple[WEvent, ...]]:
    out: list[tuple[WEvent, ...]] = [()]
    for x in xs:
        out += [(*s, x) for s in out]
    return out


def _revisited(
    g: WGraph,
    r: WEvent,
    w: WEvent,
    deleted: set[int],
    also: tuple[WEvent, ...] = (),
    speculative: bool = False,
) -> WGraph:
    """``g`` restricted to the kept events, plus ``w`` (unplaced), ``r`` and the reads
    ``also`` reading from it (an RMW's outcome recomputed; it goes right after ``w`` in
    co)."""
    g2 = WGraph({}, {}, [0] * len(g.lens), g.stamp)
    keep = sorted((e for e in g.events.values() if e.ref not in deleted), key=lambda e: e.stamp)
    for e in keep:
        g2.events[e.ref] = e
    moved = {r.ref, *(x.ref for x in also)}  # (an RMW's new place is after w)
    for lid, ws in g.co.items():
        g2.co[lid] = [x for x in ws if x not in deleted and x not in moved]
    for e in keep:
        g2.lens[e.tid] = max(g2.lens[e.tid], e.idx + 1)
    g2.events[w.ref] = w
    g2.lens[w.tid] = max(g2.lens[w.tid], w.idx + 1)
    g2.stamp = max(g2.stamp, w.stamp + 1)
    for x in (r, *also):
        g2.events[x.ref] = outcome(
            x, w.written_value, rf=w.ref, speculated=speculative or x is not r, chosen=False
        )
    return g2


# -- replay tokens ------------------------------------------------------------------------
def encode_execution(g: ExecutionGraph) -> str:
    """A complete execution as steps ``tid[<t.i[=v]][@k]``, each thread's in program
    order and every write before its readers where ``po | rf`` allows (a load-buffering
    cycle puts one read before its write): ``<t.i`` the write read (omitted: the initial
    value), ``=v`` the integer such a read of a later write returns, ``@k`` the write's
    position in its location's coherence order."""
    threads: dict[int, list[Event]] = {}
    for e in sorted(g.events, key=lambda e: (e.tid, e.po_index)):
        threads.setdefault(e.tid, []).append(e)
    nxt = dict.fromkeys(threads, 0)
    done: set[int] = set()
    parts = []
    while len(done) < len(g.events):
        ready = [
            t for t, es in threads.items()
            if nxt[t] < len(es) and (es[nxt[t]].rf is None or es[nxt[t]].rf in done)
        ]  # fmt: skip
        tid = min(ready) if ready else min(t for t, es in threads.items() if nxt[t] < len(es))
        e = threads[tid][nxt[tid]]
        nxt[tid] += 1
        done.add(e.eid)
        step = str(e.tid)
        if e.reads and e.rf is not None:
            step += f"<{e.rf // REF}.{e.rf % REF}"
            if e.rf not in done and type(e.read_value) is int:
                step += f"={e.read_value}"
        if e.writes and e.loc is not None:
            step += f"@{g.co_order[e.loc].index(e.eid)}"
        parts.append(step)
    return "w:" + ";".join(parts)


ReplayStep = tuple[int, int | None, int | None, int | None]  # tid, rf, co position, value


def decode_execution(token: str) -> list[ReplayStep]:
    """The steps of :func:`encode_execution`; ValueError on a malformed token."""
    if not token.startswith("w:"):
        raise ValueError("not a weak-memory execution")
    steps: list[ReplayStep] = []
    for part in filter(None, token[2:].split(";")):
        head, _, pos = part.partition("@")
        tid_s, _, rf_s = head.partition("<")
        rf_s, _, value = rf_s.partition("=")
        rf = None
        if rf_s:
            t, _, i = rf_s.partition(".")
            rf = int(t) * REF + int(i)
        steps.append((int(tid_s), rf, int(pos) if pos else None, int(value) if value else None))
    return steps


def _lock_findings(g: WGraph, world: World, done: list[Finding | bool | None]) -> list[Finding]:
    """``lock-held`` (a finished thread still holds a lock) and ``lock-leaked`` (a bit
    lock's bit is set at the end with no holder), as the interleaving engine reports."""
    holder: dict[str, int | None] = {}
    bits: dict[str, tuple[int, int]] = {}
    for e in sorted(g.events.values(), key=lambda e: (e.tid, e.idx)):
        if e.lock is None or e.blocked or not e.writes:
            continue
        holder[e.lock.key] = e.tid if e.lock.action == "acquire" else None
        if e.lock.bit is not None and e.lid is not None:
            bits[e.lock.key] = (e.lid, e.lock.bit)
    out = []
    for key, tid in holder.items():
        if tid is not None and done[tid] is not False:
            name = world.threads[tid][0]
            out.append(Finding("lock-held", f"{name} ended holding {key}", tid,
                               check=f"lock-held:{key}"))  # fmt: skip
    for key, (lid, bit) in bits.items():
        ws = g.co.get(lid, [])
        final = world.locations[lid].init if not ws else g.events[ws[-1]].written_value
        if final >> bit & 1 and holder.get(key) is None:
            culprit = next(
                (w for w in reversed(ws) if g.events[w].kind is not EventKind.LOCK
                 and g.events[w].written_value >> bit & 1), None,
            )  # fmt: skip
            blame = ""
            if culprit is not None:
                c = g.events[culprit]
                blame = f"; {world.threads[c.tid][0]}'s {c.name} wrote it back set (marked <<)"
            out.append(Finding(
                "lock-leaked",
                f"{key} is left set with no owner: every thread has finished and none "
                f"holds it{blame}",
                None if culprit is None else culprit // REF, culprit, check=f"lock-leaked:{key}",
            ))  # fmt: skip
    return out
