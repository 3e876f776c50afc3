"""One execution under an interleaving semantics: the engine side of the greenlets.

The schedule (which thread takes the next shared step) comes from outside: the optimal
DPOR explorer, a random or PCT strategy, or a replay token.  Everything else (what an op
reads, writes and returns) is determined by memory, so a schedule replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import greenlet

from pagerace.core.errors import InternalError
from pagerace.core.ops import NO_WRITE, Op, OpKind
from pagerace.explore.finding import Finding
from pagerace.explore.result import Trace
from pagerace.explore.runtime import ModelThread, Program, ThreadDone, World
from pagerace.explore.values import Val, raw
from pagerace.graph.events import Event, EventKind, SourceRef
from pagerace.graph.graph import ExecutionGraph


@dataclass(slots=True)
class ThreadState:
    tid: int
    name: str
    g: ModelThread
    pending: Op | None = None
    done: bool = False
    index: int = 0  # po index of the next event


# Named tuples built once per step go through tuple.__new__ (fields in declaration
# order): their generated __new__ is a Python-level call.
_new = tuple.__new__


class Step(NamedTuple):
    """A shared event as the explorer sees it: the event, its op, and the value its
    location held just before it ran (for await enabledness in race reversal)."""

    event: Event
    op: Op
    before: Any


class Execution:
    """Build a program afresh and run it one scheduling decision at a time."""

    def __init__(
        self, program: Program, *, capture: bool = False, stop_on_finding: bool = True
    ) -> None:
        self.world = World(program.params)
        program.build(self.world)
        self.capture = capture
        self.stop_on_finding = stop_on_finding
        self.events: list[Event] = []
        self.steps: list[Step] = []
        self.co: dict[str, list[int]] = {}
        self.last_write: list[int | None] = [None] * len(self.world.locations)
        self.findings: list[Finding] = []
        self.schedule: list[int] = []
        self.finished = False
        self.threads = [
            ThreadState(tid, name, ModelThread(fn, capture))
            for tid, (name, fn) in enumerate(self.world.threads)
        ]
        # Ghost words, one per thread: RCU grace periods and IPIs wait on them.
        rcu = tuple(self.world.location(f"rcu_gp_state[{t.name}]", 0) for t in self.threads)
        irq = tuple(self.world.location(f"irq_state[{t.name}]", 0) for t in self.threads)
        self.last_write += [None] * (len(rcu) + len(irq))
        for t in self.threads:
            t.g.on_local = self._local_hook(t)
            t.g.rcu, t.g.rcu_all = rcu[t.tid], rcu
            t.g.irq_word, t.g.irq_all = irq[t.tid], irq
            self._advance(t, None)

    # -- scheduling interface --------------------------------------------------------
    @property
    def stopped(self) -> bool:
        return self.stop_on_finding and bool(self.findings)

    def enabled(self) -> list[int]:
        mem = self.world.mem
        out = []
        for t in self.threads:
            op = t.pending
            if op is not None and (op.cond is None or op.cond(mem[op.loc.lid])):  # type: ignore[union-attr]
                out.append(t.tid)
        return out

    def waiting(self) -> list[int]:
        return [t.tid for t in self.threads if t.pending is not None]

    def pending_value(self, tid: int) -> Any:
        op = self.threads[tid].pending
        assert op is not None and op.loc is not None
        return self.world.mem[op.loc.lid]

    def step(self, tid: int) -> Step:
        """Run thread ``tid``'s pending shared op, then the thread up to its next one."""
        t = self.threads[tid]
        op = t.pending
        if op is None:
            raise InternalError(f"thread {tid} scheduled with no pending op")
        before = self.world.mem[op.loc.lid]  # type: ignore[union-attr]
        if op.cond is not None and not op.cond(before):
            raise InternalError(f"thread {tid} scheduled while it waits in {op.name}")
        t.pending = None
        self.schedule.append(tid)
        event, result = self._execute(t, op)
        step = _new(Step, (event, op, before))
        self.steps.append(step)
        self._advance(t, result)
        return step

    def close(self) -> None:
        """Free the threads still suspended (deadlocked, or cut short): each gets
        GreenletExit at the op it waits in, and the engine's references are dropped."""
        for t in self.threads:
            t.g.on_local = None
            if not t.g.dead:
                t.g.throw(greenlet.GreenletExit)

    def finish(self) -> None:
        """End of a maximal run: deadlock, or the automatic and the program's end checks.
        Then the run's threads are closed."""
        if self.finished:
            return
        self.finished = True
        try:
            self._end_checks()
        finally:
            self.close()

    def _end_checks(self) -> None:
        if self.stopped:
            return
        waiting = self.waiting()
        if waiting:
            self._record(Finding("deadlock", self._deadlock_message(waiting), check="deadlock"))
            return
        for key, (loc, bit) in self.world.bit_locks.items():
            if self.world.mem[loc.lid] >> bit & 1 and self.world.lock_owner.get(key) is None:
                culprit = self._bit_setter(loc.lid, bit)
                blame = ""
                if culprit is not None:
                    e = self.events[culprit]
                    blame = f"; {self.threads[e.tid].name}'s {e.name} wrote it back set (marked <<)"
                self._record(
                    Finding(
                        "lock-leaked",
                        f"{key} is left set with no owner: every thread has finished "
                        f"and none holds it{blame}",
                        e.tid if culprit is not None else None,
                        culprit,
                        check=f"lock-leaked:{key}",
                    )
                )
        for name, fn in self.world.end_checks:
            msg = fn(self.world)
            if msg:
                self._record(Finding("invariant", f"{name}: {msg}", check=name))

    def _bit_setter(self, lid: int, bit: int) -> int | None:
        """The last write that left ``bit`` set without being a lock acquisition (the
        store that resurrected a released lock bit), if there is one."""
        for e in reversed(self.events):
            if e.lid == lid and e.writes:
                sets = e.written_value >> bit & 1 and not (e.reads and e.read_value >> bit & 1)
                if e.kind is not EventKind.LOCK and sets:
                    return int(e.eid)
                if e.kind is EventKind.LOCK or not e.written_value >> bit & 1:
                    return None
        return None

    # -- results ---------------------------------------------------------------------
    def graph(self) -> ExecutionGraph:
        return ExecutionGraph(self.events, self.co)

    def final_state(self) -> tuple[tuple[str, str], ...]:
        w = self.world
        return tuple((loc.name, loc.show(w.mem[loc.lid])) for loc in w.locations)

    def trace(self) -> Trace:
        by_lid = self.world.locations
        shown = []
        for e in self.events:
            loc = by_lid[e.lid] if e.lid is not None else None
            r = loc.show(e.read_value) if loc is not None and e.reads else ""
            w = loc.show(e.written_value) if loc is not None and e.writes else ""
            shown.append((r, w))
        written = {e.lid for e in self.events if e.writes}
        final = tuple(
            (loc.name, loc.show(self.world.mem[loc.lid]))
            for loc in self.world.locations
            if loc.lid in written
        )
        return Trace(
            threads=tuple(t.name for t in self.threads),
            events=tuple(self.events),
            schedule=tuple(self.schedule),
            findings=tuple(self.findings),
            final=final,
            shown=tuple(shown),
        )

    # -- internals -------------------------------------------------------------------
    def _record(self, finding: Finding) -> None:
        self.findings.append(finding)

    def _advance(self, t: ThreadState, value: Any) -> None:
        while True:
            res = t.g.switch(value)
            if type(res) is Op and res.loc is not None:  # the hot path: a shared access
                t.pending = res
                return
            if isinstance(res, ThreadDone):
                t.done = True
                self._new_event(t, EventKind.END, "end", "", None)
                if res.finding is not None:
                    self._record(_with_tid(res.finding, t.tid, len(self.events) - 1))
                self._check_locks_at_exit(t)
                return
            if not isinstance(res, Op):
                raise InternalError(f"model thread switched to the engine with {res!r}")
            if res.shared:
                t.pending = res
                return
            value = self._local(t, res)

    def _local_hook(self, t: ThreadState) -> Callable[[Op], None]:
        def hook(op: Op) -> None:
            self._local(t, op)

        return hook

    def _local(self, t: ThreadState, op: Op) -> Any:
        kind = EventKind.FENCE if op.kind is OpKind.FENCE else EventKind.LOCAL
        self._new_event(t, kind, op.name, op.annot, op, detail=op.detail)
        return None

    def _execute(self, t: ThreadState, op: Op) -> tuple[Event, Any]:
        loc = op.loc
        assert loc is not None
        mem, lid = self.world.mem, loc.lid
        old = mem[lid]
        rf = self.last_write[lid]
        if op.kind is OpKind.LOAD:
            ev = self._new_event(
                t, EventKind.LOAD, op.name, op.annot, op, reads=True, read_value=old, rf=rf
            )
            return ev, Val(old, frozenset((ev.eid,)))
        if op.kind is OpKind.STORE:
            new = raw(op.value)
            ev = self._new_event(
                t,
                EventKind.STORE,
                op.name,
                op.annot,
                op,
                writes=True,
                written_value=new,
                kind_override=_lock_kind(op),
            )
            self._write(t, ev, op, new)
            return ev, None
        assert op.fn is not None
        new, result = op.fn(old)
        writes = new is not NO_WRITE
        kind = (_lock_kind(op) or EventKind.RMW) if writes else EventKind.RMW_FAIL
        ev = self._new_event(
            t,
            kind,
            op.name,
            op.annot,
            op,
            reads=True,
            writes=writes,
            read_value=old,
            written_value=new if writes else None,
            rf=rf,
        )
        if op.check is not None:
            msg = op.check(old)
            if msg:
                self._record(Finding("lock-lost", msg, t.tid, ev.eid, check=f"lock-lost:{op.name}"))
        if writes:
            self._write(t, ev, op, new)
        return ev, Val(result, frozenset((ev.eid,)))

    def _write(self, t: ThreadState, ev: Event, op: Op, new: Any) -> None:
        loc = op.loc
        assert loc is not None
        self.world.mem[loc.lid] = new
        self.last_write[loc.lid] = ev.eid
        self.co.setdefault(loc.name, []).append(ev.eid)
        if op.lock is not None:
            self._ghost_lock(t, op)
        if loc.floor is not None and isinstance(new, int) and new < loc.floor:
            self._record(
                Finding(
                    "refcount-underflow",
                    f"{loc.name} went to {new}, below its floor {loc.floor} ({ev.name})",
                    t.tid,
                    ev.eid,
                    check=f"underflow:{loc.name}",
                )
            )

    def _ghost_lock(self, t: ThreadState, op: Op) -> None:
        lk = op.lock
        assert lk is not None
        if lk.bit is not None and op.loc is not None:
            self.world.bit_locks.setdefault(lk.key, (op.loc, lk.bit))
        self.world.lock_owner[lk.key] = t.tid if lk.action == "acquire" else None

    def _check_locks_at_exit(self, t: ThreadState) -> None:
        for key, owner in self.world.lock_owner.items():
            if owner == t.tid:
                self._record(
                    Finding(
                        "lock-held",
                        f"{t.name} ended holding {key}",
                        t.tid,
                        check=f"lock-held:{key}",
                    )
                )

    def _new_event(
        self,
        t: ThreadState,
        kind: EventKind,
        name: str,
        annot: str,
        op: Op | None,
        *,
        reads: bool = False,
        writes: bool = False,
        read_value: Any = None,
        written_value: Any = None,
        rf: int | None = None,
        detail: str = "",
        kind_override: EventKind | None = None,
    ) -> Event:
        src = SourceRef(*t.g.src) if self.capture and t.g.src is not None else None
        if op is None:
            ev = Event(
                len(self.events),
                t.tid,
                t.index,
                kind,
                name,
                annot,
                detail=detail,
                ctrl=t.g.ctrl_deps,
                src=src,
            )
        else:
            loc, lock = op.loc, op.lock
            data = op.data
            if op.kind is OpKind.STORE and isinstance(op.value, Val):
                data = data | op.value.deps
            ev = _new(
                Event,
                (
                    len(self.events),
                    t.tid,
                    t.index,
                    kind_override or kind,
                    name,
                    annot,
                    None if loc is None else loc.name,
                    None if loc is None else loc.lid,
                    reads,
                    writes,
                    read_value,
                    written_value,
                    rf,
                    op.addr,
                    data,
                    t.g.ctrl_deps,
                    None if lock is None else lock.key,
                    detail or op.detail,
                    src,
                    op.mask if reads and not writes else None,
                    None if lock is None else lock.cls,
                ),
            )
        t.index += 1
        self.events.append(ev)
        return ev

    def _deadlock_message(self, waiting: list[int]) -> str:
        parts = []
        for tid in waiting:
            t = self.threads[tid]
            op = t.pending
            assert op is not None and op.loc is not None
            holder = None
            if op.lock is not None:
                owner = self.world.lock_owner.get(op.lock.key)
                holder = "no thread" if owner is None else self.threads[owner].name
            what = f"{op.name} on {op.loc.name}" + (f" ({op.detail})" if op.detail else "")
            held = f", held by {holder}" if holder else ""
            parts.append(f"{t.name} waits in {what}{held}")
        return "every live thread waits: " + "; ".join(parts)


def _lock_kind(op: Op) -> EventKind | None:
    if op.lock is None:
        return None
    return EventKind.LOCK if op.lock.action == "acquire" else EventKind.UNLOCK


def _with_tid(f: Finding, tid: int, eid: int) -> Finding:
    return Finding(f.kind, f.message, tid, eid, f.check, f.traceback)
