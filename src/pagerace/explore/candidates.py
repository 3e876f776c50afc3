"""Candidate executions, as herd7 builds them: for loop-free programs under any model.

Each thread runs on its own, reads answered by an *oracle* (the values it is told it
read), so a thread is a tree of paths, one branch per value a read may return.  A read
of ``x`` may return any value some write to ``x`` can store: those value domains are a
least fixpoint (initial values first; then every value a path of any thread writes
under the current domains).  A candidate execution is one path per thread, a reads-from
edge for every read (from a write of the value it returned, or the initial write) and a
coherence order per location; the memory model keeps the consistent ones.  This is
herd7's method (Alglave, Maranget, Tautschnig, "Herding cats", TOPLAS 2014, §8), so the
executions are exactly herd7's, load buffering (``po | rf`` cycles) included, each
built once: two candidates differ in a path, an ``rf`` edge or a ``co`` order.

Pruning, all sound: a path whose read cannot be justified by any write of that value is
never combined; coherence per location (``po-loc | rf | co | fr`` acyclic, RMW
atomicity) is checked before the model sees a candidate (every model here includes it).

Spinning (an await: ``spin_lock`` waits for a free lock) is an assumption, as in herd:
a path whose await reads a value that does not let it proceed does not exist.  Ghost
words (RCU grace periods and IPIs under SC) are not used: the model says what grace
periods order.

Limitations: programs must terminate on every path under every oracle (no unbounded
loops: litmus tests and small models); the number of candidates grows as the product
of the paths and choices, so this engine is for litmus-sized programs (the graph
explorer handles kernel scenarios).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import greenlet

from pagerace.core.errors import InternalError
from pagerace.core.ops import NO_WRITE, Location, Op, OpKind
from pagerace.explore.result import Finding
from pagerace.explore.runtime import ModelThread, Program, ThreadDone, World
from pagerace.explore.values import Val, raw
from pagerace.graph.events import Event, EventKind
from pagerace.graph.graph import ExecutionGraph
from pagerace.models.base import MemoryModel

MAX_PATH_EVENTS = 2000  # per thread path: a bound on runaway model loops
MAX_ROUNDS = 16  # value-domain fixpoint rounds


@dataclass(frozen=True, slots=True)
class PathEvent:
    """One event of a thread path; dependencies are po indices of this thread's reads."""

    kind: EventKind
    name: str
    annot: str
    loc: str | None
    lid: int | None
    reads: bool
    writes: bool
    read_value: Any
    written_value: Any
    addr: frozenset[int]
    data: frozenset[int]
    ctrl: frozenset[int]
    lock_key: str | None
    detail: str


@dataclass(slots=True)
class ThreadPath:
    """One complete path of one thread: its events and the World it ran in (litmus
    threads leave their registers there)."""

    tid: int
    events: tuple[PathEvent, ...]
    world: World
    finding: Finding | None = None


@dataclass(slots=True)
class Candidate:
    """A consistent execution: its graph, the path of each thread, final memory."""

    graph: ExecutionGraph
    paths: tuple[ThreadPath, ...]
    final: dict[int, Any]  # lid -> value of the co-last write (or the initial value)
    flags: tuple[str, ...] = ()


@dataclass(slots=True)
class CandidateStats:
    paths: int = 0
    candidates: int = 0  # (paths, rf, co) combinations that passed per-location coherence
    consistent: int = 0
    rounds: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class _NeedValue(Exception):
    pass


class _Infeasible(Exception):
    pass


def value_key(v: Any) -> Any:
    """Values compare across runs: a pointer is its location's id (each run builds its
    own Location objects)."""
    v = raw(v)
    return ("&", v.lid) if isinstance(v, Location) else v


def run_path(
    program: Program, tid: int, oracle: Sequence[Any]
) -> tuple[ThreadPath | None, int | None]:
    """Run thread ``tid`` alone, its reads answered by ``oracle``.  Returns the complete
    path, or ``(None, lid)`` when it needs a value for one more read of location ``lid``,
    or ``(None, None)`` when the oracle makes it infeasible (an await that cannot pass)."""
    world = World(program.params)
    program.build(world)
    name, fn = world.threads[tid]
    g = ModelThread(fn, False)
    ghost = Location(-1, f"ghost[{name}]")
    g.rcu, g.rcu_all, g.irq_word, g.irq_all = ghost, (), ghost, ()
    events: list[PathEvent] = []
    g.on_local = lambda op: _record_local(events, op, g)
    reads = 0
    value: Any = None
    while True:
        res = g.switch(value)
        if isinstance(res, ThreadDone):
            return ThreadPath(tid, tuple(events), world, res.finding), None
        if not isinstance(res, Op):
            raise InternalError(f"model thread switched to the engine with {res!r}")
        op = res
        if len(events) > MAX_PATH_EVENTS:
            g.throw(greenlet.GreenletExit)
            raise InternalError(f"a thread path exceeded {MAX_PATH_EVENTS} events")
        if op.loc is None or op.annot == "ghost":
            value = _ghost_or_local(events, op, g)
            continue
        old: Any = None
        if op.kind is not OpKind.STORE:
            if reads >= len(oracle):
                g.throw(greenlet.GreenletExit)
                return None, op.loc.lid
            old = _in_world(oracle[reads], world)
            reads += 1
            if op.cond is not None and not op.cond(old):
                g.throw(greenlet.GreenletExit)
                return None, None
        value = _access(events, op, old, g)


def _in_world(v: Any, world: World) -> Any:
    return world.locations[v.lid] if isinstance(v, Location) else v


def _record_local(events: list[PathEvent], op: Op, g: ModelThread) -> None:
    _ghost_or_local(events, op, g)


def _ghost_or_local(events: list[PathEvent], op: Op, g: ModelThread) -> Any:
    if op.annot == "ghost":
        return 0 if op.kind is OpKind.LOAD else None
    kind = EventKind.FENCE if op.kind is OpKind.FENCE else EventKind.LOCAL
    events.append(
        PathEvent(
            kind, op.name, op.annot, None, None, False, False, None, None,
            frozenset(), frozenset(), g.ctrl_deps, None, op.detail,
        )
    )  # fmt: skip
    return None


def _access(events: list[PathEvent], op: Op, old: Any, g: ModelThread) -> Any:
    loc = op.loc
    assert loc is not None
    idx = len(events)
    lock_kind = None
    if op.lock is not None:
        lock_kind = EventKind.LOCK if op.lock.action == "acquire" else EventKind.UNLOCK
    key = None if op.lock is None else op.lock.key
    data = op.data
    if op.kind is OpKind.LOAD:
        ev = PathEvent(
            EventKind.LOAD, op.name, op.annot, loc.name, loc.lid, True, False, old, None,
            op.addr, data, g.ctrl_deps, key, op.detail,
        )  # fmt: skip
        events.append(ev)
        return Val(old, frozenset((idx,)))
    if op.kind is OpKind.STORE:
        if isinstance(op.value, Val):
            data = data | op.value.deps
        ev = PathEvent(
            lock_kind or EventKind.STORE, op.name, op.annot, loc.name, loc.lid, False, True,
            None, raw(op.value), op.addr, data, g.ctrl_deps, key, op.detail,
        )  # fmt: skip
        events.append(ev)
        return None
    assert op.fn is not None
    new, result = op.fn(old)
    writes = new is not NO_WRITE
    kind = (lock_kind or EventKind.RMW) if writes else EventKind.RMW_FAIL
    ev = PathEvent(
        kind, op.name, op.annot, loc.name, loc.lid, True, writes, old,
        raw(new) if writes else None, op.addr, data, g.ctrl_deps, key, op.detail,
    )  # fmt: skip
    events.append(ev)
    return Val(result, frozenset((idx,)))


# -- paths of every thread, under value domains ------------------------------------------
Runs = dict[tuple[int, tuple[Any, ...]], tuple[ThreadPath | None, int | None]]


def thread_paths(
    program: Program,
    tid: int,
    domains: dict[int, list[Any]],
    inits: dict[int, Any],
    runs: Runs | None = None,
) -> list[ThreadPath]:
    """Every path of thread ``tid`` whose reads return values from ``domains``
    (``runs`` remembers each oracle's run across the rounds of the fixpoint)."""
    runs = {} if runs is None else runs
    out: list[ThreadPath] = []
    stack: list[tuple[Any, ...]] = [()]
    while stack:
        oracle = stack.pop()
        key = (tid, tuple(value_key(v) for v in oracle))
        if key not in runs:
            runs[key] = run_path(program, tid, oracle)
        path, lid = runs[key]
        if path is not None:
            out.append(path)
        elif lid is not None:
            dom = domains.get(lid) or [inits[lid]]
            stack.extend((*oracle, v) for v in reversed(dom))
    return out


def all_paths(program: Program) -> tuple[list[list[ThreadPath]], int]:
    """The paths of every thread under the least fixpoint of the value domains."""
    world = World(program.params)
    program.build(world)
    inits = {loc.lid: loc.init for loc in world.locations}
    domains: dict[int, list[Any]] = {lid: [v] for lid, v in inits.items()}
    runs: Runs = {}
    for rounds in range(1, MAX_ROUNDS + 1):
        paths = [thread_paths(program, t, domains, inits, runs) for t in range(len(world.threads))]
        # A value stored by a chain of n writes (an RMW reading the previous one) needs
        # n write events in one execution: rounds beyond the most writes any execution
        # has add only values no write can justify.
        if rounds > sum(max((_writes(p) for p in per), default=0) for per in paths):
            return paths, rounds
        grown = False
        for per_thread in paths:
            for p in per_thread:
                for e in p.events:
                    if e.writes and e.lid is not None:
                        dom = domains.setdefault(e.lid, [inits.get(e.lid)])
                        if value_key(e.written_value) not in {value_key(v) for v in dom}:
                            dom.append(e.written_value)
                            grown = True
        if not grown:
            return paths, rounds
    raise InternalError(
        f"the values the program writes did not settle after {MAX_ROUNDS} rounds; "
        "this engine needs loop-free programs"
    )


def _writes(path: ThreadPath) -> int:
    return sum(1 for e in path.events if e.writes)


# -- combining paths into candidate executions -------------------------------------------
def candidates(
    program: Program,
    model: MemoryModel,
    stats: CandidateStats | None = None,
) -> Iterator[Candidate]:
    """Every consistent execution of ``program`` under ``model``, each once."""
    stats = stats if stats is not None else CandidateStats()
    per_thread, stats.rounds = all_paths(program)
    stats.paths = sum(len(p) for p in per_thread)
    world = per_thread[0][0].world if per_thread and per_thread[0] else None
    inits = {loc.lid: loc.init for loc in world.locations} if world is not None else {}
    flags_of: Callable[[ExecutionGraph], tuple[str, ...]] | None = getattr(model, "flags", None)
    for combo in itertools.product(*per_thread):
        for graph in _graphs(combo, inits):
            stats.candidates += 1
            if model.violation(graph) is not None:
                continue
            stats.consistent += 1
            final = dict(inits)
            for ws in graph.co_order.values():
                last = graph.by_id[ws[-1]]
                assert last.lid is not None
                final[last.lid] = last.written_value
            flags = flags_of(graph) if flags_of is not None else ()
            yield Candidate(graph, combo, final, flags)


def _graphs(combo: tuple[ThreadPath, ...], inits: dict[int, Any]) -> Iterator[ExecutionGraph]:
    """Every (rf, co) of one combination of paths that is coherent per location: the
    choices of each location are made (and pruned) on their own, then combined."""
    events, reads, writes = _events(combo)
    by_loc: dict[int, list[int]] = {}
    for r in reads:
        lid = events[r].lid
        assert lid is not None
        by_loc.setdefault(lid, [])
    for lid in writes:
        by_loc.setdefault(lid, [])
    for r in reads:
        by_loc[events[r].lid].append(r)  # type: ignore[index]
    per_loc: list[list[tuple[tuple[int, ...], tuple[int | None, ...]]]] = []
    locs = sorted(by_loc)
    for lid in locs:
        options = _location_choices(events, lid, by_loc[lid], writes.get(lid, []), inits)
        if not options:
            return
        per_loc.append(options)
    for choice in itertools.product(*per_loc):
        evs = list(events)
        co: dict[str, list[int]] = {}
        for lid, (ws, rfs) in zip(locs, choice, strict=True):
            for r, w in zip(by_loc[lid], rfs, strict=True):
                evs[r] = evs[r]._replace(rf=w)
            if ws:
                co[evs[ws[0]].loc or ""] = list(ws)
        yield ExecutionGraph(evs, co)


def _location_choices(
    events: list[Event], lid: int, reads: list[int], writes: list[int], inits: dict[int, Any]
) -> list[tuple[tuple[int, ...], tuple[int | None, ...]]]:
    """The (co order, rf of each read) of one location that are coherent (acyclic
    ``po-loc | rf | co | fr``, checked as its two-event patterns CoWW, CoRW, CoWR, CoRR)
    and atomic (an RMW right after the write it read)."""
    init_key = value_key(inits.get(lid))
    sources: list[list[int | None]] = []
    for r in reads:
        want = value_key(events[r].read_value)
        srcs: list[int | None] = [
            w for w in writes if w != r and value_key(events[w].written_value) == want
        ]
        if init_key == want:
            srcs.append(None)
        if not srcs:
            return []
        sources.append(srcs)
    touching = sorted(set(reads) | set(writes), key=lambda x: (events[x].tid, events[x].po_index))
    out = []
    for ws in itertools.permutations(writes):
        pos: dict[int | None, int] = {w: i for i, w in enumerate(ws)}
        pos[None] = -1
        for rfs in itertools.product(*sources):
            rf = dict(zip(reads, rfs, strict=True))
            if _coherent(events, touching, pos, rf):
                out.append((ws, rfs))
    return out


def _coherent(
    events: list[Event], touching: list[int], pos: dict[int | None, int], rf: dict[int, int | None]
) -> bool:
    """Walk each thread's accesses in po order: a read may not read co-before anything
    its thread already saw or wrote; a write must be co-after all of it."""
    tid, floor = -1, -1
    for x in touching:
        e = events[x]
        if e.tid != tid:
            tid, floor = e.tid, -1
        if e.reads:
            p = pos[rf[x]]
            if p < floor:
                return False
            floor = p
        if e.writes:
            p = pos[x]
            if p <= floor:
                return False
            if e.reads and pos[rf[x]] != p - 1:
                return False  # atomicity
            floor = p
    return True


def _events(
    combo: tuple[ThreadPath, ...],
) -> tuple[list[Event], list[int], dict[int, list[int]]]:
    events: list[Event] = []
    reads: list[int] = []
    writes: dict[int, list[int]] = {}
    for path in combo:
        base = len(events)

        def glob(ids: frozenset[int], base: int = base) -> frozenset[int]:
            return frozenset(base + i for i in ids)

        for i, p in enumerate(path.events):
            eid = base + i
            events.append(
                Event(
                    eid, path.tid, i, p.kind, p.name, p.annot, p.loc, p.lid, p.reads,
                    p.writes, p.read_value, p.written_value, None, glob(p.addr),
                    glob(p.data), glob(p.ctrl), p.lock_key, p.detail,
                )
            )  # fmt: skip
            if p.reads:
                reads.append(eid)
            if p.writes and p.lid is not None:
                writes.setdefault(p.lid, []).append(eid)
    return events, reads, writes
