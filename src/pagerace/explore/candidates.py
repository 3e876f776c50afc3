"""Candidate executions, as herd7 builds them: for loop-free programs under any model.

Each thread runs on its own, reads answered by an *oracle* (the values it is told it
read), so a thread is a tree of paths, one branch per value a read may return.  A read
of ``x`` may return any value some write to ``x`` can store: those value domains are a
least fixpoint (initial values first; then every value a path of any thread writes
under the current domains, but one an RMW makes after more RMWs of its location in a row
than one execution has writes of it).  A candidate execution is one path per thread, a
reads-from edge for every read (from a write of the value it returned, or the initial
write) and a coherence order per location; the memory model keeps the consistent ones.
This is herd7's method (Alglave, Maranget, Tautschnig, "Herding cats", TOPLAS 2014, §8),
so the executions are exactly herd7's, load buffering (``po | rf`` cycles) included,
each built once: two candidates differ in a path, an ``rf`` edge or a ``co`` order.

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
from typing import Any

from pagerace.core.errors import InternalError
from pagerace.core.ops import NO_WRITE, Location, Op, OpKind
from pagerace.core.records import Record
from pagerace.explore.finding import Finding
from pagerace.explore.runtime import ModelThread, Program, ThreadDone, World, thread_body
from pagerace.explore.values import EMPTY, Val, raw
from pagerace.graph.events import Event, EventKind
from pagerace.graph.graph import ExecutionGraph
from pagerace.models.base import MemoryModel

MAX_PATH_EVENTS = 2000  # per thread path: a bound on runaway model loops
MAX_ROUNDS = 16  # value-domain fixpoint rounds


class PathEvent(Record):
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
    read_key: Any = None  # value_key of the values, computed once per path
    written_key: Any = None


class ThreadPath(Record):
    """One complete path of one thread: its events and the World it ran in (litmus
    threads leave their registers there)."""

    tid: int
    events: tuple[PathEvent, ...]
    world: World
    finding: Finding | None = None


class Candidate(Record):
    """A consistent execution: its graph, the path of each thread, final memory."""

    graph: ExecutionGraph
    paths: tuple[ThreadPath, ...]
    final: dict[int, Any]  # lid -> value of the co-last write (or the initial value)
    flags: tuple[str, ...] = ()


class CandidateStats:
    """What a search counted (updated as it goes)."""

    __slots__ = ("candidates", "consistent", "paths", "rounds")

    def __init__(self) -> None:
        self.paths = 0
        self.candidates = 0  # (paths, rf, co) combinations that passed per-location coherence
        self.consistent = 0
        self.rounds = 0


def value_key(v: Any) -> Any:
    """Values compare across runs: a pointer is its location's id (each run builds its
    own Location objects)."""
    v = raw(v)
    return ("&", v.lid) if isinstance(v, Location) else v


class PathRun(Record):
    """One run of one thread: the path (None when an await could not pass), and per
    read in po order the location it read and the value the oracle gave it."""

    path: ThreadPath | None
    lids: tuple[int, ...]
    values: tuple[Any, ...]


class Runner:
    """One model thread that runs thread function after thread function: every op is
    answered on the spot (``on_op``), so runs need no scheduler, and a greenlet made
    per run cost more than most litmus threads' runs.  ``close()`` ends it."""

    def __init__(self) -> None:
        self.g = ModelThread(lambda: None, False)
        self.g.run = self._serve

    def run(self, fn: Callable[[], None]) -> Any:
        """``fn``'s ThreadDone, or the _Blocked / _Runaway that ended it, raised."""
        g = self.g
        g.ctrl_deps, g.rcu_depth, g.src, g.on_local = EMPTY, 0, None, None
        res = g.switch(fn)
        if isinstance(res, BaseException):
            raise res
        return res

    def close(self) -> None:
        if self.g:  # started and not finished
            self.g.switch(None)

    def _serve(self, fn: Callable[[], None] | None) -> None:
        while fn is not None:
            res: Any
            try:
                res = thread_body(fn)()
            except (_Blocked, _Runaway) as e:
                res = e
            fn = self.g.parent.switch(res)


def run_path(
    program: Program,
    tid: int,
    oracle: Sequence[Any],
    default: Callable[[int], Any],
    runner: Runner | None = None,
) -> PathRun:
    """Run thread ``tid`` alone, its reads answered by ``oracle`` and, past its end, by
    ``default(lid)``: every run ends (each choice past the oracle is recorded, so the
    caller enumerates the other values without running any prefix twice)."""
    world = World(program.params)
    if program.build_thread is not None:
        program.build_thread(world, tid)
        name, fn = world.threads[0]
    else:
        program.build(world)
        name, fn = world.threads[tid]
    own = runner is None
    runner = Runner() if runner is None else runner
    g = runner.g
    ghost = Location(-1, f"ghost[{name}]")
    g.rcu, g.rcu_all, g.irq_word, g.irq_all = ghost, (), ghost, ()
    events: list[PathEvent] = []
    lids: list[int] = []
    values: list[Any] = []

    def on_op(op: Op) -> Any:
        if len(events) > MAX_PATH_EVENTS:
            raise _Runaway
        if op.loc is None or op.annot == "ghost":
            return _ghost_or_local(events, op, g)
        old: Any = None
        if op.kind is not OpKind.STORE:
            n = len(values)
            given = oracle[n] if n < len(oracle) else default(op.loc.lid)
            lids.append(op.loc.lid)
            values.append(given)
            old = _in_world(given, world)
            if op.cond is not None and not op.cond(old):
                raise _Blocked
        return _access(events, op, old, g)

    g.on_op = on_op
    try:
        res = runner.run(fn)
    except _Blocked:
        return PathRun(None, tuple(lids), tuple(values))
    except _Runaway:
        raise InternalError(f"a thread path exceeded {MAX_PATH_EVENTS} events") from None
    finally:
        if own:
            runner.close()
    if not isinstance(res, ThreadDone):
        raise InternalError(f"model thread switched to the engine with {res!r}")
    return PathRun(ThreadPath(tid, tuple(events), world, res.finding), tuple(lids), tuple(values))


class _Blocked(BaseException):
    """Ends a run whose await cannot pass (past the model's ``except Exception``)."""


class _Runaway(BaseException):
    """Ends a run longer than MAX_PATH_EVENTS."""


def _in_world(v: Any, world: World) -> Any:
    return world.locations[v.lid] if isinstance(v, Location) else v


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
            op.addr, data, g.ctrl_deps, key, op.detail, value_key(old),
        )  # fmt: skip
        events.append(ev)
        return Val(old, frozenset((idx,)))
    if op.kind is OpKind.STORE:
        if isinstance(op.value, Val):
            data = data | op.value.deps
        ev = PathEvent(
            lock_kind or EventKind.STORE, op.name, op.annot, loc.name, loc.lid, False, True,
            None, raw(op.value), op.addr, data, g.ctrl_deps, key, op.detail, None,
            value_key(op.value),
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
        value_key(old), value_key(new) if writes else None,
    )  # fmt: skip
    events.append(ev)
    return Val(result, frozenset((idx,)))


# -- paths of every thread, under value domains ------------------------------------------
Runs = dict[tuple[int, tuple[Any, ...]], PathRun]


def _no_tick() -> None:
    """The default ``tick``: no time limit."""


def thread_paths(
    program: Program,
    tid: int,
    domains: dict[int, list[Any]],
    inits: dict[int, Any],
    runs: Runs | None = None,
    runner: Runner | None = None,
    tick: Callable[[], None] = _no_tick,
) -> list[ThreadPath]:
    """Every path of thread ``tid`` whose reads return values from ``domains``, each
    oracle run once: a run takes each domain's first value (the initial one) past its
    oracle, and every other value of those reads starts an oracle of its own.  ``runs``
    remembers each oracle's run across the rounds of the fixpoint (domains only grow,
    and their first values never change).  ``tick`` is called before every run (it may
    raise to stop: a time limit)."""
    runs = {} if runs is None else runs

    def dom(lid: int) -> list[Any]:
        return domains.get(lid) or [inits[lid]]

    out: list[ThreadPath] = []
    stack: list[tuple[Any, ...]] = [()]
    while stack:
        oracle = stack.pop()
        key = (tid, tuple(value_key(v) for v in oracle))
        run = runs.get(key)
        if run is None:
            tick()
            run = runs[key] = run_path(program, tid, oracle, lambda lid: dom(lid)[0], runner)
        if run.path is not None:
            out.append(run.path)
        for j in reversed(range(len(oracle), len(run.lids))):
            stack.extend((*run.values[:j], v) for v in reversed(dom(run.lids[j])[1:]))
    return out


def all_paths(
    program: Program, tick: Callable[[], None] = _no_tick
) -> tuple[list[list[ThreadPath]], int]:
    """The paths of every thread under the least fixpoint of the value domains."""
    runner = Runner()
    try:
        return _fixpoint(program, runner, tick)
    finally:
        runner.close()


def _fixpoint(
    program: Program, runner: Runner, tick: Callable[[], None]
) -> tuple[list[list[ThreadPath]], int]:
    world = World(program.params)
    program.build(world)
    inits = {loc.lid: loc.init for loc in world.locations}
    domains: dict[int, list[Any]] = {lid: [v] for lid, v in inits.items()}
    # Per value of a location, the fewest RMWs of that location in a row that make it.
    depth: dict[int, dict[Any, int]] = {lid: {value_key(v): 0} for lid, v in inits.items()}
    runs: Runs = {}
    threads = range(len(world.threads))
    for rounds in range(1, MAX_ROUNDS + 1):
        paths = [thread_paths(program, t, domains, inits, runs, runner, tick) for t in threads]
        # A value stored by a chain of n writes (an RMW reading the previous one) needs
        # n write events in one execution: rounds beyond the most writes any execution
        # has add only values no write can justify.
        if rounds > sum(max((_writes(p) for p in per), default=0) for per in paths):
            return paths, rounds
        if not _grow(paths, domains, depth, inits):
            return paths, rounds
    raise InternalError(
        f"the values the program writes did not settle after {MAX_ROUNDS} rounds; "
        "this engine needs loop-free programs"
    )


def _grow(
    paths: list[list[ThreadPath]],
    domains: dict[int, list[Any]],
    depth: dict[int, dict[Any, int]],
    inits: dict[int, Any],
) -> bool:
    """Add to ``domains`` every value the paths write, but a value an RMW makes from one
    it read of its own location after more RMWs in a row than that location has writes
    in one execution: an RMW reads the write just before it in coherence order, so n
    RMWs in a row need n writes of the location (``atomic_inc`` by two threads makes 1
    and 2, not 3 and up).  True if a domain, or the depth of a value, changed."""
    most = _most_writes(paths)
    changed = False
    for per_thread in paths:
        for p in per_thread:
            for e in p.events:
                if not e.writes or e.lid is None:
                    continue
                seen = depth.setdefault(e.lid, {value_key(inits.get(e.lid)): 0})
                d = seen.get(e.read_key, most[e.lid]) + 1 if e.reads else 0
                if d > most[e.lid] or seen.get(e.written_key, d + 1) <= d:
                    continue
                if e.written_key not in seen:
                    domains.setdefault(e.lid, [inits.get(e.lid)]).append(e.written_value)
                seen[e.written_key] = d
                changed = True
    return changed


def _most_writes(paths: list[list[ThreadPath]]) -> dict[int, int]:
    """Per location, the most writes of it one execution can have (one path a thread)."""
    most: dict[int, int] = {}
    for per_thread in paths:
        here: dict[int, int] = {}
        for p in per_thread:
            count: dict[int, int] = {}
            for e in p.events:
                if e.writes and e.lid is not None:
                    count[e.lid] = count.get(e.lid, 0) + 1
            for lid, n in count.items():
                if n > here.get(lid, 0):
                    here[lid] = n
        for lid, n in here.items():
            most[lid] = most.get(lid, 0) + n
    return most


def _writes(path: ThreadPath) -> int:
    return sum(1 for e in path.events if e.writes)


# -- combining paths into candidate executions -------------------------------------------
# The choices of one location depend only on the shape of its accesses: per access, in
# (thread, po) order, its thread, whether it reads and writes, and the values' keys.
Shape = tuple[tuple[int, bool, bool, Any, Any], ...]
Choices = list[tuple[tuple[int, ...], tuple[int | None, ...]]]


def candidates(
    program: Program,
    model: MemoryModel,
    stats: CandidateStats | None = None,
    tick: Callable[[], None] = _no_tick,
) -> Iterator[Candidate]:
    """Every consistent execution of ``program`` under ``model``, each once.  ``tick``
    is called often (before each thread run, combination of paths and coherence order
    tried); it may raise to stop the enumeration (a time limit)."""
    stats = stats if stats is not None else CandidateStats()
    per_thread, stats.rounds = all_paths(program, tick)
    stats.paths = sum(len(p) for p in per_thread)
    world = per_thread[0][0].world if per_thread and per_thread[0] else None
    inits = {loc.lid: loc.init for loc in world.locations} if world is not None else {}
    flags_of: Callable[[ExecutionGraph], tuple[str, ...]] | None = getattr(model, "flags", None)
    combiner = _Combiner(inits, tick)
    for combo in itertools.product(*per_thread):
        tick()
        for graph in combiner.graphs(combo):
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


class _Combiner:
    """Builds the coherent (rf, co) choices of combinations of paths, remembering what
    combinations share: a path's events at a given offset, and the choices of each
    location shape."""

    def __init__(self, inits: dict[int, Any], tick: Callable[[], None]) -> None:
        self.tick = tick
        self.init_keys = {lid: value_key(v) for lid, v in inits.items()}
        self.placed: dict[tuple[int, int], tuple[Event, ...]] = {}
        self.choices: dict[tuple[Any, Shape], Choices] = {}
        self.values: dict[int, tuple[frozenset[Any], frozenset[Any]]] = {}

    def justified(self, combo: tuple[ThreadPath, ...]) -> bool:
        """Whether every value the paths read is an initial value or written by one of
        them (most combinations fail this; it is much cheaper than their choices)."""
        need: set[Any] = set()
        have: set[Any] = set()
        for path in combo:
            got = self.values.get(id(path))
            if got is None:
                got = self.values[id(path)] = self._values(path)
            need |= got[0]
            have |= got[1]
        return need <= have

    def _values(self, path: ThreadPath) -> tuple[frozenset[Any], frozenset[Any]]:
        """(location, value) pairs the path reads (other than initial values) and writes."""
        init = self.init_keys
        reads = frozenset(
            (p.lid, p.read_key)
            for p in path.events
            if p.reads and p.lid is not None and init.get(p.lid) != p.read_key
        )
        writes = frozenset((p.lid, p.written_key) for p in path.events if p.writes)
        return reads, writes

    def graphs(self, combo: tuple[ThreadPath, ...]) -> Iterator[ExecutionGraph]:
        """Every (rf, co) of one combination of paths that is coherent per location: the
        choices of each location are made (and pruned) on their own, then combined."""
        if not self.justified(combo):
            return
        events: list[Event] = []
        access: dict[int, list[tuple[int, PathEvent]]] = {}
        for path in combo:
            base = len(events)
            events.extend(self._placed(path, base))
            for i, p in enumerate(path.events):
                if p.lid is not None and (p.reads or p.writes):
                    access.setdefault(p.lid, []).append((base + i, p))
        locs = sorted(access)
        per_loc: list[Choices] = []
        ids: list[list[int]] = []
        for lid in locs:
            acc = access[lid]
            shape: Shape = tuple(
                (events[x].tid, p.reads, p.writes, p.read_key, p.written_key) for x, p in acc
            )
            key = (self.init_keys.get(lid), shape)
            options = self.choices.get(key)
            if options is None:
                options = self.choices[key] = _location_choices(shape, key[0], self.tick)
            if not options:
                return
            per_loc.append(options)
            ids.append([x for x, _ in acc])
        siblings: dict[str, object] = {}  # the model's per-events caches
        for choice in itertools.product(*per_loc):
            self.tick()
            evs = list(events)
            co: dict[str, list[int]] = {}
            for xs, (ws, rfs) in zip(ids, choice, strict=True):
                reads = [x for x in xs if evs[x].reads]
                for r, w in zip(reads, rfs, strict=True):
                    e = evs[r]
                    evs[r] = _new(Event, (*e[:_RF], None if w is None else xs[w], *e[_RF + 1 :]))
                if ws:
                    co[evs[xs[0]].loc or ""] = [xs[w] for w in ws]
            yield ExecutionGraph(evs, co, siblings)

    def _placed(self, path: ThreadPath, base: int) -> tuple[Event, ...]:
        """The path's events with ids from ``base`` (dependencies shifted alike)."""
        key = (id(path), base)
        got = self.placed.get(key)
        if got is None:
            got = self.placed[key] = tuple(_place(path, base))
        return got


# ``event._replace(rf=...)`` made from slices: ``_replace`` is a Python-level call of
# ``_make`` over a generated ``map``, and one is made per read of every candidate.
_new = tuple.__new__
_RF = Event._fields.index("rf")


def _place(path: ThreadPath, base: int) -> Iterator[Event]:
    def glob(ids: frozenset[int]) -> frozenset[int]:
        return frozenset(base + i for i in ids) if ids else ids

    for i, p in enumerate(path.events):
        yield Event(
            base + i, path.tid, i, p.kind, p.name, p.annot, p.loc, p.lid, p.reads,
            p.writes, p.read_value, p.written_value, None, glob(p.addr),
            glob(p.data), glob(p.ctrl), p.lock_key, p.detail,
        )  # fmt: skip


def _location_choices(shape: Shape, init_key: Any, tick: Callable[[], None]) -> Choices:
    """The (co order, rf of each read) of one location, as positions in ``shape``
    (``None``: the initial write), that are coherent (acyclic ``po-loc | rf | co | fr``,
    checked as its two-event patterns CoWW, CoRW, CoWR, CoRR) and atomic (an RMW right
    after the write it read).  The co orders tried are the interleavings of each
    thread's writes in program order (CoWW): 12!/(3!)^4 = 369,600 for four threads of
    three writes, not 12! = 479,001,600."""
    writes = [i for i, a in enumerate(shape) if a[2]]
    sources: dict[int, list[int | None]] = {}
    for r, a in enumerate(shape):
        if not a[1]:
            continue
        srcs: list[int | None] = [w for w in writes if w != r and shape[w][4] == a[3]]
        if init_key == a[3]:
            srcs.append(None)
        if not srcs:
            return []
        sources[r] = srcs
    out: Choices = []
    per_thread: dict[int, list[int]] = {}
    for w in writes:
        per_thread.setdefault(shape[w][0], []).append(w)
    for ws in _interleavings(list(per_thread.values())):
        tick()
        pos: dict[int | None, int] = {w: i for i, w in enumerate(ws)}
        pos[None] = -1
        out.extend((ws, rfs) for rfs in _coherent_sources(shape, pos, sources, tick))
    return out


def _interleavings(seqs: list[list[int]]) -> Iterator[tuple[int, ...]]:
    """Every merge of ``seqs`` that keeps the order within each."""
    total = sum(map(len, seqs))
    at = [0] * len(seqs)
    out: list[int] = []

    def extend() -> Iterator[tuple[int, ...]]:
        if len(out) == total:
            yield tuple(out)
            return
        for t, seq in enumerate(seqs):
            if at[t] < len(seq):
                out.append(seq[at[t]])
                at[t] += 1
                yield from extend()
                at[t] -= 1
                out.pop()

    return extend()


def _coherent_sources(
    shape: Shape,
    pos: dict[int | None, int],
    sources: dict[int, list[int | None]],
    tick: Callable[[], None],
) -> list[tuple[int | None, ...]]:
    """The sources of the reads (in ``shape`` order) that are coherent with the co
    positions ``pos``: each thread's accesses walked in po order, a read may not read
    co-before anything its thread already saw or wrote, a write must be co-after all of
    it, and an RMW goes right after the write it read (atomicity).  Chosen read by read,
    so a choice that breaks this is not extended (a location read 12 times from 4
    writes has 4^12 source tuples, few of them coherent)."""
    out: list[tuple[int | None, ...]] = []
    chosen: list[int | None] = []

    def walk(x: int, tid: int, floor: int) -> None:
        if x == len(shape):
            tick()
            out.append(tuple(chosen))
            return
        t, reads, writes, _, _ = shape[x]
        if t != tid:
            tid, floor = t, -1
        if not reads:
            if writes and pos[x] > floor:
                walk(x + 1, tid, pos[x])
            elif not writes:
                walk(x + 1, tid, floor)
            return
        for w in sources[x]:
            p = pos[w]
            if p < floor or (writes and p != pos[x] - 1):
                continue  # (an RMW right after its source is co-after it: pos[x] > p)
            chosen.append(w)
            walk(x + 1, tid, pos[x] if writes else p)
            chosen.pop()

    walk(0, -1, -1)
    return out
